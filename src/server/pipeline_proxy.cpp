#include "server/pipeline_proxy.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace trend {
namespace {

std::uint64_t NextId() {
  static std::atomic<std::uint64_t> next{1};
  return next++;
}

}  // namespace

PipelineModule::PipelineModule(std::string name) : name_(std::move(name)), id_(NextId()) {}

PipelineModule& PipelineModule::Set(const std::string& entry, PipelineEntry value) {
  if (value.id == 0) value.id = NextId();
  entries_[entry] = std::move(value);
  return *this;
}

const PipelineEntry* PipelineModule::Find(const std::string& entry) const {
  const auto it = entries_.find(entry);
  return it == entries_.end() ? nullptr : &it->second;
}

std::shared_ptr<const PipelineModule> MakeBuiltinPipelineModule() {
  auto module = std::make_shared<PipelineModule>("trend.pipeline");
  PipelineEntry run;
  run.run = [](const PreparedReturns& data, const AnalysisSettings& settings,
               const PipelineRegistries& registries) {
    return RunAnalysis(data, settings, registries);
  };
  module->Set("run", std::move(run));
  PipelineEntry multi;
  multi.multi = [](const PreparedReturns& data, const AnalysisSettings& settings,
                   const PipelineRegistries& registries) {
    return RunMultiPeriod(data, settings, registries);
  };
  module->Set("run_multi_period", std::move(multi));
  module->Set("registries", PipelineEntry{});
  return module;
}

PipelineModuleRegistry::PipelineModuleRegistry(ModuleFactory make_package)
    : make_package_(std::move(make_package)), package_(make_package_()), live_(package_) {}

std::shared_ptr<const PipelineModule> PipelineModuleRegistry::Live() const {
  std::shared_lock lock(mutex_);
  return live_;
}

void PipelineModuleRegistry::SetLive(std::shared_ptr<const PipelineModule> module) {
  std::unique_lock lock(mutex_);
  live_ = std::move(module);
}

std::uint64_t PipelineModuleRegistry::Install(std::shared_ptr<const PipelineModule> module) {
  std::unique_lock lock(mutex_);
  const std::uint64_t handle = next_handle_++;
  installed_.emplace_back(handle, std::move(module));
  return handle;
}

void PipelineModuleRegistry::Remove(std::uint64_t handle) {
  std::unique_lock lock(mutex_);
  std::erase_if(installed_, [&](const auto& item) { return item.first == handle; });
}

std::vector<std::shared_ptr<const PipelineModule>> PipelineModuleRegistry::Scan() const {
  std::function<std::vector<std::shared_ptr<const PipelineModule>>()> scanner;
  std::vector<std::shared_ptr<const PipelineModule>> modules;
  {
    std::shared_lock lock(mutex_);
    scanner = scanner_;
    for (auto it = installed_.rbegin(); it != installed_.rend(); ++it)
      modules.push_back(it->second);
  }
  return scanner ? scanner() : modules;
}

void PipelineModuleRegistry::SetScanner(
    std::function<std::vector<std::shared_ptr<const PipelineModule>>()> scanner) {
  std::unique_lock lock(mutex_);
  scanner_ = std::move(scanner);
}

std::shared_ptr<const PipelineModule> PipelineModuleRegistry::FreshPackage() const {
  return make_package_();
}

bool ParseSimpleFlag(const char* value) {
  if (value == nullptr) return false;
  std::string text(value);
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text == "1" || text == "true" || text == "yes" || text == "on";
}

PipelineProxy::PipelineProxy(PipelineModuleRegistry& registry, std::function<bool()> flag)
    : registry_(registry), flag_(std::move(flag)) {
  if (!flag_) flag_ = [] { return ParseSimpleFlag(std::getenv("TREND_PIPELINE_PROXY_SIMPLE")); };
  const auto package = registry_.Package();
  package_module_id_ = package->id();
  const PipelineEntry* run = package->Find("run");
  package_run_id_ = run ? run->id : 0;
}

void PipelineProxy::Record(const std::string& entry, bool simple, const PipelineModule& module) {
  if (entry != "run") return;
  std::lock_guard lock(mutex_);
  log_.push_back({entry, simple, module.id(), package_module_id_, package_run_id_});
  if (log_.size() > kLogLimit) log_.pop_front();
}

ResolvedEntry PipelineProxy::Resolve(const std::string& entry) {
  const auto missing = [&] {
    return std::out_of_range("pipeline entry point '" + entry + "' is not defined by any module");
  };
  if (flag_()) {
    // Simple mode: bind the built-in pipeline once; no scan.
    ++simple_count_;
    std::shared_ptr<const PipelineModule> module;
    {
      std::lock_guard lock(mutex_);
      if (!simple_cache_) simple_cache_ = registry_.FreshPackage();
      module = simple_cache_;
    }
    Record(entry, true, *module);
    if (const PipelineEntry* found = module->Find(entry)) return {module, found};
    const auto package = registry_.Package();
    if (const PipelineEntry* found = package->Find(entry)) return {package, found};
    throw missing();
  }
  // Default mode: leaving simple mode drops its binding.
  ++default_count_;
  {
    std::lock_guard lock(mutex_);
    simple_cache_.reset();
  }
  std::shared_ptr<const PipelineModule> live = registry_.Live();
  if (!live) live = registry_.Package();
  Record(entry, false, *live);
  const PipelineEntry* attr = live->Find(entry);
  if (attr == nullptr) {
    const auto package = registry_.Package();
    if (const PipelineEntry* found = package->Find(entry)) return {package, found};
    throw missing();
  }
  try {
    ++scans_;
    for (const auto& module : registry_.Scan()) {
      const PipelineEntry* candidate = module->Find(entry);
      if (candidate != nullptr && candidate->id != attr->id) return {module, candidate};
    }
  } catch (...) {
    // A failing scan must not fail the request: the live module's entry stands.
  }
  return {live, attr};
}

std::vector<ProxyResolution> PipelineProxy::DebugLog() const {
  std::lock_guard lock(mutex_);
  return {log_.begin(), log_.end()};
}

bool PipelineProxy::simple_cached() const {
  std::lock_guard lock(mutex_);
  return simple_cache_ != nullptr;
}

}  // namespace trend
