// The pipeline proxy of `trend app` (spec §10 with issue 4): the server reaches the pipeline
// only through named entry points resolved on every call. In the default mode a resolution
// consults the live module registry and prefers an entry point that differs from the built-in
// one (overrides installed by tests and plugins at run time win, the most recent first); in
// simple mode (TREND_PIPELINE_PROXY_SIMPLE = 1/true/yes/on) it binds the built-in pipeline once
// and skips the scan. Each resolution of "run" is recorded for /api/v1/debug/pipeline.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"

namespace trend {

using RunEntry = std::function<AnalysisResult(const PreparedReturns&, const AnalysisSettings&,
                                              const PipelineContext&)>;
using MultiPeriodEntry = std::function<MultiPeriodResult(
    const PreparedReturns&, const AnalysisSettings&, const PipelineContext&)>;

// One entry point with an identity: two entries are "the same" iff their ids are equal.
struct PipelineEntry {
  std::uint64_t id = 0;
  RunEntry run;                // set for "run"
  MultiPeriodEntry multi;      // set for "run_multi_period"
  PipelineContext registries;  // set for "selection" / "weighting" lookups
};

// A pipeline module: a named set of entry points ("run", "run_multi_period", "registries").
class PipelineModule {
 public:
  explicit PipelineModule(std::string name);
  const std::string& name() const { return name_; }
  std::uint64_t id() const { return id_; }
  PipelineModule& Set(const std::string& entry, PipelineEntry value);
  const PipelineEntry* Find(std::string_view entry) const;
  // Keeps something the entries depend on (a plugin's registries or library) alive.
  void Own(std::shared_ptr<const void> resource) { owned_.push_back(std::move(resource)); }

 private:
  std::string name_;
  std::uint64_t id_;
  std::map<std::string, PipelineEntry, std::less<>> entries_;
  std::vector<std::shared_ptr<const void>> owned_;
};

// The built-in pipeline: RunAnalysis, RunMultiPeriod and the built-in registries.
std::shared_ptr<const PipelineModule> MakeBuiltinPipelineModule();

// Every pipeline module the process knows: the package module captured at start, the live
// module (normally the package one), and modules installed since (plugins, overrides).
class PipelineModuleRegistry {
 public:
  using ModuleFactory = std::function<std::shared_ptr<const PipelineModule>()>;
  // `make_package` builds the package module: once now, and afresh for simple mode.
  explicit PipelineModuleRegistry(ModuleFactory make_package = MakeBuiltinPipelineModule);

  std::shared_ptr<const PipelineModule> Package() const { return package_; }
  // The canonical module; may be unset (then the package module stands in).
  std::shared_ptr<const PipelineModule> Live() const;
  void SetLive(std::shared_ptr<const PipelineModule> module);

  // Installs a module; the most recently installed is scanned first. Returns a handle.
  std::uint64_t Install(std::shared_ptr<const PipelineModule> module);
  void Remove(std::uint64_t handle);

  // Every installed module, newest first. Tests replace the scanner to simulate failures.
  std::vector<std::shared_ptr<const PipelineModule>> Scan() const;
  void SetScanner(std::function<std::vector<std::shared_ptr<const PipelineModule>>()> scanner);

  // A fresh instance of the package module for simple mode (the reference re-imports it).
  std::shared_ptr<const PipelineModule> FreshPackage() const;

 private:
  mutable std::shared_mutex mutex_;
  ModuleFactory make_package_;
  std::shared_ptr<const PipelineModule> package_;
  std::shared_ptr<const PipelineModule> live_;
  std::vector<std::pair<std::uint64_t, std::shared_ptr<const PipelineModule>>> installed_;
  std::function<std::vector<std::shared_ptr<const PipelineModule>>()> scanner_;
  std::uint64_t next_handle_ = 1;
};

// TREND_PIPELINE_PROXY_SIMPLE: trimmed, case-insensitive 1/true/yes/on. Allocation-free: it is
// read on every resolution.
bool ParseSimpleFlag(const char* value);

// A resolved entry point; holds its module alive while in use (simple-mode bindings are owned
// by the proxy instead, which outlives every request). No std::function is copied.
class ResolvedEntry {
 public:
  ResolvedEntry(std::shared_ptr<const PipelineModule> module, const PipelineEntry* entry)
      : module_(std::move(module)), entry_(entry) {}
  const PipelineEntry* operator->() const { return entry_; }
  const PipelineEntry& operator*() const { return *entry_; }
  const PipelineModule& module() const { return *module_; }

 private:
  std::shared_ptr<const PipelineModule> module_;
  const PipelineEntry* entry_;
};

struct ProxyResolution {
  std::string entry;
  bool simple = false;
  std::uint64_t module_id = 0;          // the module the entry came from
  std::uint64_t package_module_id = 0;  // the package module
  std::uint64_t package_entry_id = 0;   // the package's entry point (0 if it lacks it)
};

class PipelineProxy {
 public:
  // `flag` reads the mode on every resolution (default: the environment variable).
  explicit PipelineProxy(PipelineModuleRegistry& registry, std::function<bool()> flag = {});

  // Resolves an entry point; throws std::out_of_range naming it when no module has it.
  ResolvedEntry Resolve(std::string_view entry);

  std::vector<ProxyResolution> DebugLog() const;
  bool simple_cached() const { return simple_binding_.load(std::memory_order_acquire) != nullptr; }
  std::uint64_t resolutions(bool simple) const { return simple ? simple_count_ : default_count_; }
  std::uint64_t scans() const { return scans_; }

 private:
  ResolvedEntry ResolveSimple(std::string_view entry);
  ResolvedEntry ResolveDefault(std::string_view entry);
  void Record(std::string_view entry, bool simple, const PipelineModule& module);

  PipelineModuleRegistry& registry_;
  std::function<bool()> flag_;
  std::uint64_t package_module_id_ = 0, package_run_id_ = 0;  // the package is fixed at start

  // Simple mode's binding is read without a lock on every call. Each binding made (one per
  // switch into simple mode) is kept alive in `bindings_` until the proxy goes, so a request
  // never pays a reference count for it.
  std::atomic<const PipelineModule*> simple_binding_{nullptr};
  std::mutex binding_mutex_;
  std::vector<std::shared_ptr<const PipelineModule>> bindings_;

  // The debug log of "run" resolutions: a ring of the last kLogLimit, written without a lock
  // (a sequence number per slot lets a reader skip a slot being overwritten).
  struct LogSlot {
    std::atomic<std::uint64_t> sequence{0};  // 2i+1 while entry i is written, 2i+2 when done
    std::atomic<std::uint64_t> module_id{0};
    std::atomic<bool> simple{false};
  };
  static constexpr std::size_t kLogLimit = 1000;
  std::unique_ptr<LogSlot[]> log_ = std::make_unique<LogSlot[]>(kLogLimit);
  std::atomic<std::uint64_t> log_next_{0};

  std::atomic<std::uint64_t> simple_count_{0}, default_count_{0}, scans_{0};
};

}  // namespace trend
