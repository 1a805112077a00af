#include "server/plugins.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

namespace trend {
namespace {

// Collects a plugin's registrations into registries of its own: copies of those of the
// plugin loaded before it (the built-in ones for the first), so the newest plugin's lookups
// know every plugin's models.
class ModuleBuilder final : public PluginHost {
 public:
  explicit ModuleBuilder(const PipelineContext& base)
      : selection_(std::make_shared<SelectionRegistry>(*base.selection)),
        weighting_(std::make_shared<WeightingRegistry>(*base.weighting)) {}

  void AddSelectionModel(const std::string& name, SelectionRegistry::Factory factory) override {
    selection_->Register(name, std::move(factory));
  }
  void AddWeightingScheme(const std::string& name, WeightingRegistry::Factory factory) override {
    weighting_->Register(name, std::move(factory));
  }
  void OverrideRun(RunEntry run) override { run_ = std::move(run); }

  PipelineContext registries() const { return {selection_.get(), weighting_.get()}; }

  // The module: its selection/weighting lookups ("registries") and, only when the plugin
  // overrides it, "run". Entries it lacks fall back to the package's.
  std::shared_ptr<const PipelineModule> Build(const std::string& name, void* library) const {
    auto module = std::make_shared<PipelineModule>(name);
    PipelineEntry lookups;
    lookups.registries = registries();
    module->Set("registries", std::move(lookups));
    if (run_) {
      PipelineEntry run;
      run.run = run_;
      module->Set("run", std::move(run));
    }
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
  PipelineContext base;  // the built-in registries, then each plugin's in turn
  std::vector<std::unique_ptr<ModuleBuilder>> builders;  // keep `base` valid while chaining
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
    auto& builder = *builders.emplace_back(std::make_unique<ModuleBuilder>(base));
    if (const int status = register_fn(&builder); status != 0) {
      throw std::runtime_error(file + ": the plugin's registration failed (" +
                               std::to_string(status) + ")");
    }
    registry.Install(
        builder.Build("plugin:" + std::filesystem::path(file).filename().string(), library));
    base = builder.registries();
    loaded.push_back(file);
  }
  return loaded;
}

}  // namespace trend
