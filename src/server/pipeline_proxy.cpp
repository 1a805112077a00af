#include "server/pipeline_proxy.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "server/environment_variable.hpp"

namespace trend {
namespace {

std::uint64_t NextId() {
  static std::atomic<std::uint64_t> next{1};
  return next++;
}

std::out_of_range MissingEntry(std::string_view entry) {
  return std::out_of_range("pipeline entry point '" + std::string(entry) +
                           "' is not defined by any module");
}

}  // namespace

PipelineModule::PipelineModule(std::string name) : name_(std::move(name)), id_(NextId()) {}

PipelineModule& PipelineModule::Set(const std::string& entry, PipelineEntry value) {
  if (value.id == 0) value.id = NextId();
  entries_[entry] = std::move(value);
  return *this;
}

const PipelineEntry* PipelineModule::Find(std::string_view entry) const {
  const auto it = entries_.find(entry);
  return it == entries_.end() ? nullptr : &it->second;
}

std::shared_ptr<const PipelineModule> MakeBuiltinPipelineModule() {
  auto module = std::make_shared<PipelineModule>("trend.pipeline");
  PipelineEntry run;
  run.run = [](const PreparedReturns& data, const AnalysisSettings& settings,
               const PipelineContext& registries) {
    return RunAnalysis(data, settings, registries);
  };
  module->Set("run", std::move(run));
  PipelineEntry multi;
  multi.multi = [](const PreparedReturns& data, const AnalysisSettings& settings,
                   const PipelineContext& registries) {
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
  std::string_view text(value);
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  const auto equals = [text](std::string_view word) {
    return std::equal(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == b;
    });
  };
  return equals("1") || equals("true") || equals("yes") || equals("on");
}

PipelineProxy::PipelineProxy(PipelineModuleRegistry& registry, std::function<bool()> flag)
    : registry_(registry), flag_(std::move(flag)) {
  if (!flag_) {
    flag_ = [] {
      static const EnvironmentVariable variable("TREND_PIPELINE_PROXY_SIMPLE");
      return ParseSimpleFlag(variable.Get());
    };
  }
  const auto package = registry_.Package();
  package_module_id_ = package->id();
  const PipelineEntry* run = package->Find("run");
  package_run_id_ = run ? run->id : 0;
}

void PipelineProxy::Record(std::string_view entry, bool simple, const PipelineModule& module) {
  if (entry != "run") return;
  const std::uint64_t index = log_next_.fetch_add(1, std::memory_order_relaxed);
  LogSlot& slot = log_[index % kLogLimit];
  slot.sequence.store(2 * index + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  slot.module_id.store(module.id(), std::memory_order_relaxed);
  slot.simple.store(simple, std::memory_order_relaxed);
  slot.sequence.store(2 * index + 2, std::memory_order_release);
}

std::vector<ProxyResolution> PipelineProxy::DebugLog() const {
  const std::uint64_t end = log_next_.load(std::memory_order_acquire);
  const std::uint64_t begin = end > kLogLimit ? end - kLogLimit : 0;
  std::vector<ProxyResolution> entries;
  entries.reserve(end - begin);
  for (std::uint64_t i = begin; i < end; ++i) {
    const LogSlot& slot = log_[i % kLogLimit];
    const std::uint64_t before = slot.sequence.load(std::memory_order_acquire);
    if (before != 2 * i + 2) continue;  // still being written, or already overwritten
    ProxyResolution resolution{"run", slot.simple.load(std::memory_order_relaxed),
                               slot.module_id.load(std::memory_order_relaxed), package_module_id_,
                               package_run_id_};
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.sequence.load(std::memory_order_relaxed) != before) continue;
    entries.push_back(std::move(resolution));
  }
  return entries;
}

ResolvedEntry PipelineProxy::Resolve(std::string_view entry) {
  return flag_() ? ResolveSimple(entry) : ResolveDefault(entry);
}

ResolvedEntry PipelineProxy::ResolveSimple(std::string_view entry) {
  // Bind the built-in pipeline once; no scan.
  simple_count_.fetch_add(1, std::memory_order_relaxed);
  const PipelineModule* module = simple_binding_.load(std::memory_order_acquire);
  if (module == nullptr) {
    std::lock_guard lock(binding_mutex_);
    module = simple_binding_.load(std::memory_order_acquire);
    if (module == nullptr) {
      bindings_.push_back(registry_.FreshPackage());
      module = bindings_.back().get();
      simple_binding_.store(module, std::memory_order_release);
    }
  }
  Record(entry, true, *module);
  if (const PipelineEntry* found = module->Find(entry)) {
    // Non-owning: `bindings_` keeps the module alive as long as the proxy.
    return {std::shared_ptr<const PipelineModule>(std::shared_ptr<const void>(), module), found};
  }
  const auto package = registry_.Package();
  if (const PipelineEntry* found = package->Find(entry)) return {package, found};
  throw MissingEntry(entry);
}

ResolvedEntry PipelineProxy::ResolveDefault(std::string_view entry) {
  default_count_.fetch_add(1, std::memory_order_relaxed);
  // Leaving simple mode drops its binding; the next switch back binds afresh.
  if (simple_binding_.load(std::memory_order_relaxed) != nullptr) {
    simple_binding_.store(nullptr, std::memory_order_release);
  }
  std::shared_ptr<const PipelineModule> live = registry_.Live();
  if (!live) live = registry_.Package();
  Record(entry, false, *live);
  const PipelineEntry* attr = live->Find(entry);
  if (attr == nullptr) {
    const auto package = registry_.Package();
    if (const PipelineEntry* found = package->Find(entry)) return {package, found};
    throw MissingEntry(entry);
  }
  try {
    scans_.fetch_add(1, std::memory_order_relaxed);
    for (const auto& module : registry_.Scan()) {
      const PipelineEntry* candidate = module->Find(entry);
      if (candidate != nullptr && candidate->id != attr->id) return {module, candidate};
    }
  } catch (...) {
    // A failing scan must not fail the request: the live module's entry stands.
  }
  return {live, attr};
}

}  // namespace trend
