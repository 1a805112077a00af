// Shared by the golden tests: reading the manifest and comparing a JSON result with a golden
// expected.json under the manifest's rules (its "tolerance": relative and absolute; null, NaN
// and a missing value are the same, but a field missing on both sides is a failure: the
// manifest names a path neither engine produced, so nothing would be checked).
#pragma once

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace trend::golden {

using nlohmann::json;

inline json ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  return json::parse(in);
}

inline const json& Manifest() {
  static const json kManifest = ReadJson(std::string(TREND_GOLDEN_DIR) + "/manifest.json");
  return kManifest;
}

struct Tolerance {
  double relative;
  double absolute;
};

inline Tolerance ManifestTolerance() {
  const json& t = Manifest().at("tolerance");
  return {t.at("relative").get<double>(), t.at("absolute").get<double>()};
}

inline bool IsErrorCase(const json& c) {
  return c.contains("expected_error");
}

// The cases of one kind ("single", "multi") that produce numbers.
inline std::vector<std::string> CasesOfKind(const std::string& kind) {
  std::vector<std::string> names;
  for (const auto& c : Manifest()["cases"]) {
    if (c["kind"] == kind && !IsErrorCase(c)) names.push_back(c["name"]);
  }
  return names;
}

// The cases where the reference raised: Trend Engine must stop with an error too.
inline std::vector<std::string> ErrorCases() {
  std::vector<std::string> names;
  for (const auto& c : Manifest()["cases"]) {
    if (IsErrorCase(c)) names.push_back(c["name"]);
  }
  return names;
}

inline json CaseSpec(const std::string& name) {
  for (const auto& c : Manifest()["cases"]) {
    if (c["name"] == name) return c;
  }
  return nullptr;
}

inline bool IsNullish(const json& v) {
  return v.is_null() || (v.is_number_float() && std::isnan(v.get<double>()));
}

// Compares `ours` with `expected` under the golden rules; appends differences to `errors`.
inline void Compare(const json& ours, const json& expected, const std::string& path,
                    std::vector<std::string>& errors) {
  if (IsNullish(expected) && IsNullish(ours)) return;
  if (expected.is_object() || ours.is_object()) {
    const json empty = json::object();
    const json& a = ours.is_object() ? ours : empty;
    const json& b = expected.is_object() ? expected : empty;
    for (auto it = b.begin(); it != b.end(); ++it) {
      Compare(a.contains(it.key()) ? a[it.key()] : json(nullptr), it.value(), path + "." + it.key(),
              errors);
    }
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key())) Compare(it.value(), json(nullptr), path + "." + it.key(), errors);
    }
    return;
  }
  if (expected.is_array() && ours.is_array()) {
    if (expected.size() != ours.size()) {
      errors.push_back(path + ": length " + std::to_string(ours.size()) + " vs " +
                       std::to_string(expected.size()));
      return;
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      Compare(ours[i], expected[i], path + "[" + std::to_string(i) + "]", errors);
    }
    return;
  }
  if (expected.is_number() && ours.is_number() && !expected.is_boolean()) {
    static const Tolerance kTolerance = ManifestTolerance();
    const double e = expected.get<double>();
    const double o = ours.get<double>();
    if (!(std::abs(o - e) <= std::max(kTolerance.absolute, kTolerance.relative * std::abs(e)))) {
      errors.push_back(path + ": " + ours.dump() + " vs expected " + expected.dump());
    }
    return;
  }
  if (ours != expected)
    errors.push_back(path + ": " + ours.dump() + " vs expected " + expected.dump());
}

// The node at a dotted path, or nullptr when a segment is missing.
inline const json* Find(const json& root, const std::string& dotted) {
  const json* node = &root;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    const std::size_t dot = dotted.find('.', start);
    const std::string key =
        dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node;
}

// Compares one manifest field; a path present on neither side is an error.
inline void CompareField(const json& ours, const json& expected, const std::string& dotted,
                         const std::string& label, std::vector<std::string>& errors) {
  const json* a = Find(ours, dotted);
  const json* b = Find(expected, dotted);
  if (a == nullptr && b == nullptr) {
    errors.push_back(label + ": missing on both sides");
    return;
  }
  Compare(a ? *a : json(nullptr), b ? *b : json(nullptr), label, errors);
}

}  // namespace trend::golden
