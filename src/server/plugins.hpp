// Plugins for `trend app`: shared libraries named in TREND_PLUGIN_PATH (colon-separated files
// or directories of .so files) that export `trend_plugin_register`. A plugin adds selection
// models and weighting schemes, or overrides the pipeline's run; each plugin becomes one module
// in the pipeline module registry with a "registries" entry (the selection and weighting
// lookups: the built-in ones, every earlier plugin's, and its own) and a "run" entry only if it
// overrides it. The proxy resolves through them, so simple mode, bound to the built-in
// pipeline, does not see plugins.
#pragma once

#include <string>
#include <vector>

#include "selection/selection_model.hpp"
#include "server/pipeline_proxy.hpp"
#include "weighting/weighting_scheme.hpp"

namespace trend {

// What a plugin may extend. Pure virtual, so a plugin links against nothing of ours.
class PluginHost {
 public:
  virtual ~PluginHost() = default;
  virtual void AddSelectionModel(const std::string& name, SelectionRegistry::Factory factory) = 0;
  virtual void AddWeightingScheme(const std::string& name, WeightingRegistry::Factory factory) = 0;
  virtual void OverrideRun(RunEntry run) = 0;
};

// The symbol a plugin exports; returns 0 on success.
extern "C" {
using TrendPluginRegisterFn = int (*)(trend::PluginHost* host);
}
inline constexpr const char* kPluginRegisterSymbol = "trend_plugin_register";

// Loads every plugin in `path_list`, installing one module per plugin. Returns the libraries
// loaded. Throws std::runtime_error naming the library when one cannot be loaded or refuses.
std::vector<std::string> LoadPlugins(const std::string& path_list,
                                     PipelineModuleRegistry& registry);

}  // namespace trend
