#include "server/plugins.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

namespace trend {
namespace {

// Collects a plugin's registrations into registries of its own (copies of the built-in ones).
class ModuleBuilder final : public PluginHost {
 public:
  ModuleBuilder()
      : selection_(std::make_shared<SelectionRegistry>(BuiltinSelectionModels())),
        weighting_(std::make_shared<WeightingRegistry>(BuiltinWeightingSchemes())) {}

  void AddSelectionModel(const std::string& name, SelectionRegistry::Factory factory) override {
    selection_->Register(name, std::move(factory));
  }
  void AddWeightingScheme(const std::string& name, WeightingRegistry::Factory factory) override {
    weighting_->Register(name, std::move(factory));
  }
  void OverrideRun(RunEntry run) override { run_ = std::move(run); }

  std::shared_ptr<const PipelineModule> Build(const std::string& name, void* library) const {
    auto module = std::make_shared<PipelineModule>(name);
    const PipelineRegistries registries{selection_.get(), weighting_.get()};
    PipelineEntry run;
    run.registries = registries;
    run.run =
        run_ ? run_
             : RunEntry([](const PreparedReturns& data, const AnalysisSettings& settings,
                           const PipelineRegistries& r) { return RunAnalysis(data, settings, r); });
    module->Set("run", std::move(run));
    PipelineEntry multi;
    multi.registries = registries;
    multi.multi = [](const PreparedReturns& data, const AnalysisSettings& settings,
                     const PipelineRegistries& r) { return RunMultiPeriod(data, settings, r); };
    module->Set("run_multi_period", std::move(multi));
    // The module keeps its registries and the library (whose code its entries call) alive.
    module->Own(selection_);
    module->Own(weighting_);
    module->Own(std::shared_ptr<void>(library, [](void*) {}));  // never unloaded while served
    return module;
  }

 private:
  std::shared_ptr<SelectionRegistry> selection_;
  std::shared_ptr<WeightingRegistry> weighting_;
  RunEntry run_;
};

std::vector<std::string> Expand(const std::string& path_list) {
  std::vector<std::string> files;
  std::size_t start = 0;
  while (start <= path_list.size()) {
    const std::size_t colon = path_list.find(':', start);
    const std::string item =
        path_list.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!item.empty()) {
      if (std::filesystem::is_directory(item)) {
        std::vector<std::string> found;
        for (const auto& entry : std::filesystem::directory_iterator(item)) {
          if (entry.path().extension() == ".so") found.push_back(entry.path().string());
        }
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
      } else {
        files.push_back(item);
      }
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return files;
}

}  // namespace

std::vector<std::string> LoadPlugins(const std::string& path_list,
                                     PipelineModuleRegistry& registry) {
  std::vector<std::string> loaded;
  for (const std::string& file : Expand(path_list)) {
    void* library = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr)
      throw std::runtime_error(file + ": cannot load the plugin: " + ::dlerror());
    auto register_fn =
        reinterpret_cast<TrendPluginRegisterFn>(::dlsym(library, kPluginRegisterSymbol));
    if (register_fn == nullptr) {
      throw std::runtime_error(file + ": not a Trend Engine plugin (no " +
                               std::string(kPluginRegisterSymbol) + ")");
    }
    ModuleBuilder builder;
    if (const int status = register_fn(&builder); status != 0) {
      throw std::runtime_error(file + ": the plugin's registration failed (" +
                               std::to_string(status) + ")");
    }
    registry.Install(
        builder.Build("plugin:" + std::filesystem::path(file).filename().string(), library));
    loaded.push_back(file);
  }
  return loaded;
}

}  // namespace trend
