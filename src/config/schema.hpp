// The config schema: one table row per key the reference's config files may hold, with its
// type, allowed values, bounds, default, help text, whether a sweep may vary it, what it needs
// in order to have an effect, and how its value lands in AnalysisSettings. Everything else is
// derived from this table: parsing (config_loader), unknown-key detection with suggestions,
// the sweep's keys, docs/config.md, the JSON Schema of GET /api/v1/config/schema and the
// no-effect warnings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/settings.hpp"

namespace trend {

enum class KeyType {
  kSection,  // a mapping of further keys
  kBool,
  kInteger,
  kNumber,
  kString,
  kChoice,       // one of a list of names (with aliases, case-insensitive)
  kMonth,        // YYYY-MM (or a date, taken as its month)
  kWindowStart,  // YYYY-MM -> first day, or a date
  kWindowEnd,    // YYYY-MM -> last day, or a date
  kDate,         // YYYY-MM-DD
  kPath,         // a file, relative to the config file's folder
  kStringList,
  kNumberMap,      // name: number
  kStringMap,      // name: string
  kMetricList,     // metric names
  kMetricWeights,  // metric name: weight
  kFormatList,     // export formats
  kPolicy,         // a missing-data policy name, or name: policy per column ("*"/default)
  kLimit,          // an ffill limit (integer >= 0 or null), or name: limit per column
  kAny,            // anything: keys the reference accepts and ignores
};

// What the run is doing, for keys whose effect depends on it.
enum class RunMode { kSinglePeriod, kMultiPeriod };

// A decoded value, in the field its type uses.
struct ConfigValue {
  bool boolean = false;
  std::int64_t integer = 0;
  double number = 0.0;
  std::string text;
  int choice = 0;  // index into KeySpec::choices
  Date date;
  int month = 0;
  std::vector<std::string> names;
  NamedValues numbers;
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<Metric> metrics;
  std::vector<std::pair<Metric, double>> metric_weights;
  std::vector<std::pair<std::string, MissingPolicyKind>> policies;  // "" = the default
  std::vector<std::pair<std::string, std::optional<int>>> limits;   // "" = the default
};

struct Choice {
  std::string_view name;
  std::vector<std::string_view> aliases;
};

// Why a key given in a file may do nothing: it needs `needs` (another key's state) to hold.
struct Dependency {
  std::string_view key;    // the key that switches it off, e.g. "vol_adjust.enabled"
  std::string_view needs;  // what it must be, e.g. "true"
  bool (*holds)(const AnalysisSettings&, RunMode);
};

struct KeySpec {
  std::string_view path;
  KeyType type;
  std::string_view default_text;  // as shown in docs; "" = none (required or absent)
  std::string_view help;
  std::optional<double> min, max;  // inclusive bounds for numbers and integers
  bool min_exclusive = false;
  std::vector<Choice> choices;  // kChoice
  // kChoice only: a value that is not a choice is replaced by this one with a warning, as the
  // reference substitutes it; without it such a value is an error.
  std::optional<int> fallback;
  bool sweepable = false;
  bool inert = false;         // the reference accepts it and ignores it, and so do we
  std::string_view alias_of;  // another name of this key; the main name wins when both are set
  std::vector<Dependency> dependencies;
  void (*apply)(const ConfigValue&, AnalysisSettings&) = nullptr;
};

// Every key, parents before children.
const std::vector<KeySpec>& ConfigSchema();

// The row for a dotted path ("portfolio.rank.n"), or nullptr. Keys below an open map
// (custom_weights.Mgr_01, benchmarks.spx) belong to the map's row.
const KeySpec* FindConfigKey(std::string_view path);

// The known key closest to an unknown path (same parent preferred), or "" if none is close.
std::string SuggestConfigKey(std::string_view path);

// Whether keys below `spec` are free names (the map's own entries) rather than schema keys.
bool HasFreeKeys(const KeySpec& spec);

// The metric names with their aliases, as choices (metrics.registry, blended weights).
const std::vector<Choice>& MetricChoices();

// Levenshtein distance, case-insensitive: how far a typo is from a name.
std::size_t EditDistance(std::string_view a, std::string_view b);

// The schema as JSON Schema (draft 2020-12), and as the Markdown of docs/config.md.
std::string ConfigJsonSchema();
std::string ConfigMarkdown();

}  // namespace trend
