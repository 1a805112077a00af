#include "config/config_loader.hpp"

#include "data/utf8.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace trend {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string Trim(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

bool IsUnset(const YAML::Node& node) {
  return !node || node.IsNull();
}

std::string ChoiceList(const std::vector<Choice>& choices) {
  std::vector<std::string_view> names;
  for (const auto& c : choices) names.push_back(c.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

// The index of `text` among the choices (names and aliases), or -1. Case-insensitive where the
// reference would raise on an unknown name anyway (D7); exact where it substitutes another
// value, so that a spelling it would not recognise is substituted here too, with a warning.
int MatchChoice(const std::vector<Choice>& choices, const std::string& text,
                bool exact_case = false) {
  const auto fold = [&](std::string s) { return exact_case ? s : Lower(std::move(s)); };
  const std::string wanted = fold(Trim(text));
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (fold(std::string(choices[i].name)) == wanted) return static_cast<int>(i);
    for (std::string_view alias : choices[i].aliases) {
      if (fold(std::string(alias)) == wanted) return static_cast<int>(i);
    }
  }
  return -1;
}

const std::vector<Choice>& FormatChoices() {
  static const std::vector<Choice> kFormats = {
      {"csv", {}}, {"json", {}}, {"xlsx", {"excel"}}, {"txt", {}}};
  return kFormats;
}

const std::vector<Choice>& PolicyChoices() {
  static const std::vector<Choice> kPolicies = {{"drop", {"none", ""}},
                                                {"ffill", {"both", "bfill", "backfill"}},
                                                {"zero", {"zeros", "zero_fill", "fillzero"}}};
  return kPolicies;
}

class Reader {
 public:
  // `fixed_location`: `source` already names the place (a grid file's line), so node lines,
  // which count inside a single value, are not added.
  Reader(std::string source, std::string base_dir, bool fixed_location = false)
      : source_(std::move(source)), base_dir_(std::move(base_dir)), fixed_(fixed_location) {}

  std::vector<std::string>& warnings() { return warnings_; }
  std::map<std::string, std::string>& given() { return given_; }

  std::string Where(const YAML::Node& node) const {
    const int line = node.Mark().line;
    return line >= 0 && !fixed_ ? fmt::format("{} line {}", source_, line + 1) : source_;
  }

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& path,
                         const std::string& what) const {
    std::string shown;
    if (node.IsScalar()) {
      shown = fmt::format(" = '{}'", node.Scalar());
    } else if (node.IsSequence()) {
      shown = " (a list)";
    } else if (node.IsMap()) {
      shown = " (a mapping)";
    }
    throw ConfigError(fmt::format("{}: {}{}: {}", Where(node), path, shown, what));
  }

  // Reads every key of the mapping `node` at `prefix` into `s`, by the schema.
  void Walk(const YAML::Node& node, const std::string& prefix, AnalysisSettings& s) {
    // A key given twice: the last value wins, as in PyYAML (yaml-cpp's lookup finds the first).
    std::map<std::string, int> last_line;
    for (const auto& item : node) {
      const std::string key = Key(item.first, prefix);
      last_line[key] = item.first.Mark().line;
    }
    for (const auto& item : node) {
      const std::string key = Key(item.first, prefix);
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      if (item.first.Mark().line != last_line[key]) {
        warnings_.push_back(
            fmt::format("{}: {} is given again on line {}; the last value is used, "
                        "as PyYAML does",
                        Where(item.first), path, last_line[key] + 1));
        continue;
      }
      const KeySpec* spec = FindConfigKey(path);
      if (spec == nullptr || spec->path != path) {
        // Suggestions cost an edit distance per schema row: enough for a person's typos, not
        // for a generated config with a million unknown keys.
        const std::string suggestion = suggestions_left_-- > 0 ? SuggestConfigKey(path) : "";
        warnings_.push_back(fmt::format(
            "{}: unknown key '{}' (ignored){}", Where(item.first), path,
            suggestion.empty() ? std::string() : fmt::format("; did you mean '{}'?", suggestion)));
        continue;
      }
      if (IsUnset(item.second)) continue;
      if (!spec->alias_of.empty()) {
        const std::string main_key(spec->alias_of.substr(spec->alias_of.rfind('.') + 1));
        if (!IsUnset(node[main_key])) {
          warnings_.push_back(fmt::format("{}: {} has no effect: {} is also set and is used",
                                          Where(item.first), path, spec->alias_of));
          continue;
        }
      }
      given_[path] = Where(item.first);
      if (spec->inert) {
        warnings_.push_back(
            fmt::format("{}: {} has no effect: {}", Where(item.first), path, spec->help));
        continue;
      }
      if (spec->type == KeyType::kSection) {
        if (!item.second.IsMap()) Fail(item.second, path, "expected a mapping");
        if (spec->apply) spec->apply(ConfigValue{}, s);
        Walk(item.second, path, s);
        continue;
      }
      const ConfigValue value = Decode(*spec, item.second, path);
      if (spec->apply) spec->apply(value, s);
    }
  }

  // A mapping key as text; one that is not valid UTF-8 stops here, before it reaches a message.
  std::string Key(const YAML::Node& key, const std::string& prefix) const {
    if (!key.IsScalar() || !IsValidUtf8(key.Scalar())) {
      throw ConfigError(fmt::format("{}: a key under '{}' is not a valid UTF-8 name", Where(key),
                                    prefix.empty() ? "the top level" : prefix));
    }
    return key.Scalar();
  }

  ConfigValue Decode(const KeySpec& spec, const YAML::Node& node, const std::string& path) {
    ConfigValue v;
    switch (spec.type) {
      case KeyType::kBool:
        if (!node.IsScalar() || !YAML::convert<bool>::decode(node, v.boolean))
          Fail(node, path, "expected true or false");
        break;
      case KeyType::kInteger: {
        const double x = Number(node, path, spec);
        if (x != std::floor(x)) Fail(node, path, "expected a whole number");
        v.integer = static_cast<std::int64_t>(x);
        break;
      }
      case KeyType::kNumber:
        v.number = Number(node, path, spec);
        break;
      case KeyType::kString:
        v.text = String(node, path);
        break;
      case KeyType::kChoice:
        v.choice = Choose(spec, node, path);
        break;
      case KeyType::kMonth:
        v.month = Month(node, path);
        break;
      case KeyType::kWindowStart:
      case KeyType::kWindowEnd: {
        const std::string text = String(node, path);
        if (const auto month = ParseMonthLabel(text); month && InRange(*month)) {
          v.date = spec.type == KeyType::kWindowEnd ? MonthEndFromIndex(*month)
                                                    : MonthStartFromIndex(*month);
        } else if (const auto date = ParseDate(text); date && InRange(MonthIndex(*date))) {
          v.date = *date;
        } else {
          Fail(node, path, "expected a month YYYY-MM or a date YYYY-MM-DD (years 1000-9999)");
        }
        break;
      }
      case KeyType::kDate: {
        const auto date = ParseDate(String(node, path));
        if (!date || !InRange(MonthIndex(*date)))
          Fail(node, path, "expected a date YYYY-MM-DD (years 1000-9999)");
        v.date = *date;
        break;
      }
      case KeyType::kPath: {
        std::filesystem::path file(String(node, path));
        if (file.empty()) Fail(node, path, "expected a file name");
        if (file.is_relative() && !base_dir_.empty())
          file = std::filesystem::path(base_dir_) / file;
        v.text = file.lexically_normal().string();
        break;
      }
      case KeyType::kStringList:
        if (!node.IsSequence()) Fail(node, path, "expected a list of names");
        for (std::size_t i = 0; i < node.size(); ++i)
          v.names.push_back(String(node[i], fmt::format("{}[{}]", path, i)));
        break;
      case KeyType::kNumberMap:
        if (!node.IsMap()) Fail(node, path, "expected a mapping of name: number");
        for (const auto& item : node) {
          const std::string name = Key(item.first, path);
          v.numbers.emplace_back(name, Number(item.second, path + "." + name, spec));
        }
        break;
      case KeyType::kStringMap:
        if (!node.IsMap()) Fail(node, path, "expected a mapping of name: name");
        for (const auto& item : node) {
          const std::string name = Key(item.first, path);
          v.pairs.emplace_back(name, String(item.second, path + "." + name));
        }
        break;
      case KeyType::kMetricList: {
        if (!node.IsSequence()) Fail(node, path, "expected a list of metric names");
        for (std::size_t i = 0; i < node.size(); ++i) {
          const int m =
              ChooseFrom(MetricChoices(), node[i], fmt::format("{}[{}]", path, i), "metric");
          v.metrics.push_back(kMetricNames[static_cast<std::size_t>(m)].value);
        }
        break;
      }
      case KeyType::kMetricWeights: {
        if (!node.IsMap()) Fail(node, path, "expected a mapping of metric: weight");
        for (const auto& item : node) {
          const std::string name = Key(item.first, path);
          const int m = ChooseFrom(MetricChoices(), item.first, path + "." + name, "metric");
          const Metric metric = kMetricNames[static_cast<std::size_t>(m)].value;
          const double w = Number(item.second, path + "." + name, spec);
          auto it = std::find_if(v.metric_weights.begin(), v.metric_weights.end(),
                                 [&](const auto& e) { return e.first == metric; });
          if (it == v.metric_weights.end()) {
            v.metric_weights.emplace_back(metric, w);
          } else {
            it->second += w;  // two spellings of one metric add up, as in the reference
          }
        }
        break;
      }
      case KeyType::kFormatList: {
        auto add = [&](const YAML::Node& item, const std::string& item_path) {
          const int f = ChooseFrom(FormatChoices(), item, item_path, "export format");
          v.names.emplace_back(FormatChoices()[static_cast<std::size_t>(f)].name);
        };
        if (node.IsScalar()) {
          add(node, path);
        } else if (node.IsSequence()) {
          for (std::size_t i = 0; i < node.size(); ++i)
            add(node[i], fmt::format("{}[{}]", path, i));
        } else {
          Fail(node, path, "expected a list of formats (csv, json, xlsx, txt)");
        }
        break;
      }
      case KeyType::kPolicy:
        if (node.IsMap()) {
          for (const auto& item : node) {
            const std::string column = Key(item.first, path);
            const bool fallback = column == "*" || column == "default";
            v.policies.emplace_back(fallback ? "" : column,
                                    Policy(item.second, path + "." + column));
          }
        } else {
          v.policies.emplace_back("", Policy(node, path));
        }
        break;
      case KeyType::kLimit:
        if (node.IsMap()) {
          for (const auto& item : node) {
            const std::string column = Key(item.first, path);
            const bool fallback = column == "*" || column == "default";
            v.limits.emplace_back(fallback ? "" : column, Limit(item.second, path + "." + column));
          }
        } else {
          v.limits.emplace_back("", Limit(node, path));
        }
        break;
      case KeyType::kSection:
      case KeyType::kAny:
        break;
    }
    return v;
  }

 private:
  static bool InRange(int month_index) {
    return month_index >= 1000 * 12 && month_index < 10000 * 12;
  }

  double Number(const YAML::Node& node, const std::string& path, const KeySpec& spec) const {
    double x = 0.0;
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, x) || std::isnan(x))
      Fail(node, path, "expected a number");
    if (!std::isfinite(x)) Fail(node, path, "expected a finite number");
    const bool below = spec.min && (spec.min_exclusive ? x <= *spec.min : x < *spec.min);
    const bool above = spec.max && x > *spec.max;
    if (below || above) Fail(node, path, "expected " + RangeText(spec));
    return x;
  }

  static std::string RangeText(const KeySpec& spec) {
    const bool integer = spec.type == KeyType::kInteger;
    auto show = [&](double x) { return integer ? fmt::format("{:.0f}", x) : fmt::format("{}", x); };
    if (spec.min && spec.max) {
      return fmt::format("a value in {}{}, {}]", spec.min_exclusive ? "(" : "[", show(*spec.min),
                         show(*spec.max));
    }
    if (spec.min)
      return fmt::format("a value {} {}", spec.min_exclusive ? ">" : ">=", show(*spec.min));
    return fmt::format("a value <= {}", show(*spec.max));
  }

  std::string String(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) Fail(node, path, "expected a string");
    if (!IsValidUtf8(node.Scalar())) {
      throw ConfigError(fmt::format("{}: {}: the value is not valid UTF-8", Where(node), path));
    }
    return node.Scalar();
  }

  int Month(const YAML::Node& node, const std::string& path) const {
    const std::string text = String(node, path);
    if (const auto month = ParseMonthLabel(text); month && InRange(*month)) return *month;
    if (const auto date = ParseDate(text); date && InRange(MonthIndex(*date)))
      return MonthIndex(*date);
    Fail(node, path, "expected a month YYYY-MM (years 1000-9999)");
  }

  int ChooseFrom(const std::vector<Choice>& choices, const YAML::Node& node,
                 const std::string& path, const char* what) const {
    const int index = MatchChoice(choices, String(node, path));
    if (index >= 0) return index;
    Fail(node, path,
         fmt::format("unknown {}{}; expected one of {}", what, Suggestion(choices, node.Scalar()),
                     ChoiceList(choices)));
  }

  int Choose(const KeySpec& spec, const YAML::Node& node, const std::string& path) {
    const int index = MatchChoice(spec.choices, String(node, path), spec.fallback.has_value());
    if (index >= 0) return index;
    if (!spec.fallback) {
      Fail(node, path,
           fmt::format("expected one of {}{}", ChoiceList(spec.choices),
                       Suggestion(spec.choices, node.Scalar())));
    }
    warnings_.push_back(
        fmt::format("{}: {} = '{}' is not one of {}; {} is used instead, as the reference does{}",
                    Where(node), path, node.Scalar(), ChoiceList(spec.choices),
                    spec.choices[static_cast<std::size_t>(*spec.fallback)].name,
                    Suggestion(spec.choices, node.Scalar())));
    return *spec.fallback;
  }

  static std::string Suggestion(const std::vector<Choice>& choices, const std::string& text) {
    std::string best;
    std::size_t best_distance = std::string::npos;
    for (const auto& c : choices) {
      const std::size_t d = EditDistance(text, c.name);
      if (d < best_distance) {
        best_distance = d;
        best = std::string(c.name);
      }
    }
    if (best_distance > std::max<std::size_t>(2, text.size() / 3)) return "";
    return fmt::format(" (did you mean '{}'?)", best);
  }

  MissingPolicyKind Policy(const YAML::Node& node, const std::string& path) const {
    const int index = ChooseFrom(PolicyChoices(), node, path, "missing-data policy");
    return static_cast<MissingPolicyKind>(index);
  }

  std::optional<int> Limit(const YAML::Node& node, const std::string& path) const {
    if (IsUnset(node)) return std::nullopt;
    static const KeySpec kLimitSpec = [] {
      KeySpec spec;
      spec.type = KeyType::kInteger;
      spec.min = 0;
      spec.max = 100000;
      return spec;
    }();
    const double x = Number(node, path, kLimitSpec);
    if (x != std::floor(x)) Fail(node, path, "expected a whole number of rows or null");
    return static_cast<int>(x);
  }

  std::string source_;
  std::string base_dir_;
  bool fixed_ = false;
  std::vector<std::string> warnings_;
  int suggestions_left_ = 16;  // unknown keys that get a "did you mean"
  std::map<std::string, std::string> given_;
};

// Cross-key rules the table cannot state row by row.
void Finalize(Reader& r, const YAML::Node& root, LoadedConfig& out) {
  AnalysisSettings& s = out.settings;
  auto& e = s.export_settings;
  // output: {format, path} adds a format and names the folder and stem where export does not.
  const YAML::Node output = root["output"];
  if (output && output.IsMap() && !IsUnset(output["path"])) {
    const std::filesystem::path path(output["path"].Scalar());
    if (!out.given.count("export.directory") && path.has_parent_path())
      e.directory = path.parent_path().string();
    if (!out.given.count("export.filename")) e.filename = path.stem().string();
  }
  if (output && output.IsMap() && !IsUnset(output["format"])) {
    const KeySpec* spec = FindConfigKey("output.format");
    for (const auto& f : r.Decode(*spec, output["format"], "output.format").names) {
      if (std::find(e.formats.begin(), e.formats.end(), f) == e.formats.end())
        e.formats.push_back(f);
    }
  }
  if (e.formats.empty()) e.formats.push_back("xlsx");
  e.directory = std::filesystem::path(e.directory).lexically_normal().string();

  // The staleness guard's date: data.as_of, else the split's end as the reference reads it
  // (pd.Timestamp of a month label is its first day).
  if (s.data.max_lag_days && *s.data.max_lag_days > 0 && !s.data.as_of) {
    const YAML::Node split = root["sample_split"];
    for (const char* key : {"out_end", "in_end"}) {
      if (!split || !split.IsMap() || IsUnset(split[key]) || !split[key].IsScalar()) continue;
      const std::string text = split[key].Scalar();
      if (const auto month = ParseMonthLabel(text)) {
        s.data.as_of = MonthStartFromIndex(*month);
      } else if (const auto date = ParseDate(text)) {
        s.data.as_of = *date;
      }
      break;
    }
  }

  const auto& rank = s.portfolio.rank;
  if (rank.blended && out.given.count("portfolio.rank.score_by") &&
      s.portfolio.selection_mode == "rank") {
    double total = 0;
    for (const auto& [metric, w] : rank.blended_weights) total += w;
    if (rank.blended_weights.empty() || total == 0) {
      throw ConfigError(fmt::format(
          "{}: portfolio.rank.score_by = 'blended': portfolio.rank.blended_weights must give "
          "metric weights that do not sum to 0",
          out.given.at("portfolio.rank.score_by")));
    }
  }
  if (s.multi_period) {
    const auto& mp = *s.multi_period;
    const int months = MonthsPerPeriod(mp.frequency);
    for (const auto& [key, length] :
         {std::pair{"multi_period.in_sample_len", mp.in_sample_len},
          std::pair{"multi_period.out_sample_len", mp.out_sample_len}}) {
      if (length * months > 1200) {
        throw ConfigError(
            fmt::format("{}: {} = {}: {} months is more than 100 years; expected at most {} ({})",
                        out.given.count(key) ? out.given.at(key) : std::string("config"), key,
                        length, length * months, 1200 / months, NameOf(mp.frequency)));
      }
    }
    if (mp.start_month && mp.end_month && *mp.end_month < *mp.start_month) {
      throw ConfigError(fmt::format("{}: multi_period.end is before multi_period.start",
                                    out.given.at("multi_period.end")));
    }
  }
}

}  // namespace

bool IsConfigKey(const std::string& path) {
  const KeySpec* spec = FindConfigKey(path);
  return spec != nullptr && spec->path == path;
}

ConfigError MalformedYaml(const YAML::Exception& e, std::string_view source) {
  const auto* deep = dynamic_cast<const YAML::DeepRecursion*>(&e);
  return ConfigError(fmt::format(
      "{} line {}, column {}: malformed YAML: {}", source, e.mark.line + 1, e.mark.column + 1,
      deep ? fmt::format("nested deeper than {} levels", deep->depth()) : e.msg));
}

LoadedConfig ParseConfig(std::string_view yaml_text, std::string_view source,
                         const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw MalformedYaml(e, source);
  }
  return ParseConfigTree(root, source, base_dir);
}

LoadedConfig ParseConfigTree(const YAML::Node& root, std::string_view source,
                             const std::string& base_dir) {
  if (!root || root.IsNull())
    throw ConfigError(fmt::format("{}: the config file is empty", source));
  if (!root.IsMap()) {
    throw ConfigError(
        fmt::format("{}: the config must be a mapping of sections (data, portfolio, ...)", source));
  }
  Reader r{std::string(source), base_dir};
  LoadedConfig out;
  try {
    r.Walk(root, "", out.settings);
    out.given = std::move(r.given());
    Finalize(r, root, out);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{} line {}: {}", source, e.mark.line + 1, e.msg));
  }
  if (out.settings.data.risk_free_column) {
    const std::string name = Trim(*out.settings.data.risk_free_column);
    if (name.empty()) {
      out.settings.data.risk_free_column.reset();
    } else {
      out.settings.data.risk_free_column = name;
    }
  }
  out.warnings = std::move(r.warnings());
  return out;
}

LoadedConfig LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("{}: cannot open the config file", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  return ParseConfig(buffer.str(), path, base_dir);
}

ConfigValue DecodeConfigValue(const KeySpec& spec, const std::string& yaml_value,
                              const std::string& where, const std::string& base_dir) {
  YAML::Node node;
  try {
    node = YAML::Load(yaml_value);
  } catch (const YAML::Exception& e) {
    throw ConfigError(
        fmt::format("{}: {} = {}: malformed value: {}", where, spec.path, yaml_value, e.msg));
  }
  Reader r{where, base_dir, true};
  return r.Decode(spec, node, std::string(spec.path));
}

std::vector<std::string> EffectWarnings(const AnalysisSettings& s,
                                        const std::map<std::string, std::string>& given,
                                        RunMode mode) {
  std::vector<std::string> out;
  for (const auto& [path, where] : given) {
    const KeySpec* spec = FindConfigKey(path);
    if (spec == nullptr || spec->path != path) continue;
    for (const auto& dep : spec->dependencies) {
      if (!dep.holds(s, mode)) {
        out.push_back(
            fmt::format("{}: {} has no effect: it needs {}: {}", where, path, dep.key, dep.needs));
        break;
      }
    }
  }
  const auto& sp = s.sample_split;
  if (mode == RunMode::kSinglePeriod && sp.in_end && sp.out_start && *sp.out_start <= *sp.in_end) {
    const auto at = [&](const char* key) {
      return given.count(key) ? given.at(key) : std::string("config");
    };
    out.push_back(fmt::format(
        "{}: sample_split.out_start ({}) is not after sample_split.in_end ({}, {}): the "
        "out-of-sample window overlaps the in-sample one (look-ahead)",
        at("sample_split.out_start"), FormatDate(*sp.out_start), FormatDate(*sp.in_end),
        at("sample_split.in_end")));
  }
  return out;
}

std::vector<std::string> ConfigWarnings(const LoadedConfig& config, RunMode mode) {
  std::vector<std::string> out = config.warnings;
  for (auto& w : EffectWarnings(config.settings, config.given, mode)) out.push_back(std::move(w));
  return out;
}

}  // namespace trend
