// The schema table written out for people (docs/config.md) and for programs (JSON Schema,
// served at GET /api/v1/config/schema and read by the web form).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "config/schema.hpp"

namespace trend {
namespace {

using nlohmann::json;

std::string_view TypeName(KeyType type) {
  switch (type) {
    case KeyType::kSection:
      return "section";
    case KeyType::kBool:
      return "boolean";
    case KeyType::kInteger:
      return "integer";
    case KeyType::kNumber:
      return "number";
    case KeyType::kString:
      return "string";
    case KeyType::kChoice:
      return "choice";
    case KeyType::kMonth:
      return "month (YYYY-MM)";
    case KeyType::kWindowStart:
    case KeyType::kWindowEnd:
      return "month or date";
    case KeyType::kDate:
      return "date (YYYY-MM-DD)";
    case KeyType::kPath:
      return "file path";
    case KeyType::kStringList:
      return "list of names";
    case KeyType::kNumberMap:
      return "name: number";
    case KeyType::kStringMap:
      return "name: name";
    case KeyType::kMetricList:
      return "list of metrics";
    case KeyType::kMetricWeights:
      return "metric: weight";
    case KeyType::kFormatList:
      return "list of formats";
    case KeyType::kPolicy:
      return "policy, or column: policy";
    case KeyType::kLimit:
      return "limit, or column: limit";
    case KeyType::kAny:
      return "any";
  }
  return "";
}

json MetricEnum() {
  json names = json::array();
  for (const auto& m : kMetricNames) {
    names.push_back(m.name);
    for (std::string_view a : m.aliases) {
      if (!a.empty()) names.push_back(a);
    }
  }
  return names;
}

// The JSON Schema of one leaf key.
json LeafSchema(const KeySpec& spec) {
  json out;
  switch (spec.type) {
    case KeyType::kBool:
      out["type"] = "boolean";
      break;
    case KeyType::kInteger:
    case KeyType::kNumber:
      out["type"] = spec.type == KeyType::kInteger ? "integer" : "number";
      if (spec.min) out[spec.min_exclusive ? "exclusiveMinimum" : "minimum"] = *spec.min;
      if (spec.max) out["maximum"] = *spec.max;
      break;
    case KeyType::kChoice: {
      out["type"] = "string";
      json names = json::array();
      for (const auto& c : spec.choices) names.push_back(c.name);
      // A key the reference substitutes for takes any string (with a warning).
      if (!spec.fallback) {
        json all = names;
        for (const auto& c : spec.choices) {
          for (std::string_view a : c.aliases) all.push_back(a);
        }
        out["enum"] = all;
      }
      out["x-choices"] = names;
      break;
    }
    case KeyType::kMonth:
      out["type"] = "string";
      out["pattern"] = "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$";
      break;
    case KeyType::kWindowStart:
    case KeyType::kWindowEnd:
    case KeyType::kDate:
      out["type"] = "string";
      out["pattern"] = "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$";
      break;
    case KeyType::kString:
    case KeyType::kPath:
      out["type"] = "string";
      break;
    case KeyType::kStringList:
      out["type"] = "array";
      out["items"] = {{"type", "string"}};
      break;
    case KeyType::kNumberMap:
      out["type"] = "object";
      out["additionalProperties"] = {{"type", "number"}};
      break;
    case KeyType::kStringMap:
      out["type"] = "object";
      out["additionalProperties"] = {{"type", "string"}};
      break;
    case KeyType::kMetricList:
      out["type"] = "array";
      out["items"] = {{"type", "string"}, {"enum", MetricEnum()}};
      break;
    case KeyType::kMetricWeights:
      out["type"] = "object";
      out["propertyNames"] = {{"enum", MetricEnum()}};
      out["additionalProperties"] = {{"type", "number"}};
      break;
    case KeyType::kFormatList:
      out["anyOf"] = json::array(
          {{{"type", "string"}, {"enum", {"csv", "json", "xlsx", "excel", "txt"}}},
           {{"type", "array"},
            {"items", {{"type", "string"}, {"enum", {"csv", "json", "xlsx", "excel", "txt"}}}}}});
      break;
    case KeyType::kPolicy: {
      const json names = {"drop", "ffill", "zero"};
      out["anyOf"] =
          json::array({{{"type", "string"}},
                       {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}});
      out["x-choices"] = names;
      break;
    }
    case KeyType::kLimit:
      out["anyOf"] = json::array(
          {{{"type", "integer"}, {"minimum", 0}}, {{"type", "null"}}, {{"type", "object"}}});
      break;
    case KeyType::kSection:
    case KeyType::kAny:
      break;
  }
  if (spec.type != KeyType::kLimit && spec.type != KeyType::kAny) {
    // null means "not set" for every key, as in the reference's loader.
    if (out.contains("type")) out["type"] = json::array({out["type"], "null"});
  }
  out["description"] = spec.help;
  if (!spec.default_text.empty()) out["x-default"] = spec.default_text;
  if (spec.sweepable) out["x-sweepable"] = true;
  if (spec.inert) out["x-no-effect"] = true;
  if (!spec.dependencies.empty()) {
    json needs = json::array();
    for (const auto& d : spec.dependencies) needs.push_back({{"key", d.key}, {"needs", d.needs}});
    out["x-needs"] = needs;
  }
  return out;
}

// The object node for a dotted section path inside the schema being built.
json& SectionNode(json& root, std::string_view path) {
  json* node = &root;
  std::size_t start = 0;
  while (start < path.size()) {
    const std::size_t dot = path.find('.', start);
    const std::string part(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    json& props = (*node)["properties"];
    json& child = props[part];
    if (!child.contains("type")) {
      child["type"] = json::array({"object", "null"});
      child["additionalProperties"] = false;
    }
    node = &child;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return *node;
}

}  // namespace

std::string ConfigJsonSchema() {
  json root = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
               {"$id", "https://trend-engine/config.schema.json"},
               {"title", "Trend Engine config"},
               {"description",
                "The reference's config schema (Trend Model Project), as Trend Engine reads it. "
                "x-default: what applies when the key is absent; x-needs: the keys it needs to "
                "have an effect; x-no-effect: accepted for compatibility, ignored."},
               {"type", "object"},
               {"additionalProperties", false}};
  for (const auto& spec : ConfigSchema()) {
    const std::size_t dot = spec.path.rfind('.');
    json& parent =
        dot == std::string_view::npos ? root : SectionNode(root, spec.path.substr(0, dot));
    const std::string leaf(dot == std::string_view::npos ? spec.path : spec.path.substr(dot + 1));
    if (spec.type == KeyType::kSection) {
      json& section = SectionNode(root, spec.path);
      section["description"] = spec.help;
      continue;
    }
    parent["properties"][leaf] = LeafSchema(spec);
  }
  return root.dump(1);
}

std::string ConfigMarkdown() {
  std::string out =
      "# Config reference\n\n"
      "Generated from the schema table (`src/config/schema.cpp`) by `trend config docs`; "
      "`tests/config/schema_test.cpp` fails when this file is out of date.\n\n"
      "Every key of the reference's config files, with its type, what applies when it is "
      "absent, its bounds or choices, and when it has an effect. A key given where it has no "
      "effect is a warning naming the key that switches it off; `--strict` makes every warning "
      "an error (exit 2). Keys marked *no effect* are accepted so the reference's files load, "
      "and warned about. *Sweep* marks the keys a `trend sweep` grid may vary.\n";
  std::string section;
  for (const auto& spec : ConfigSchema()) {
    // Sections get a table each; top-level keys share one.
    const bool top_level =
        spec.path.find('.') == std::string_view::npos && spec.type != KeyType::kSection;
    const std::string title = top_level
                                  ? std::string("Top-level keys")
                                  : fmt::format("`{}`", spec.path.substr(0, spec.path.find('.')));
    if (title != section) {
      section = title;
      out += fmt::format(
          "\n## {}\n\n| key | type | default | allowed | effect |\n"
          "|---|---|---|---|---|\n",
          section);
    }
    if (spec.type == KeyType::kSection) continue;
    std::string allowed;
    if (!spec.choices.empty()) {
      for (const auto& c : spec.choices) {
        if (!allowed.empty()) allowed += ", ";
        allowed += fmt::format("`{}`", c.name);
        for (std::string_view a : c.aliases) {
          if (!a.empty()) allowed += fmt::format(" (`{}`)", a);
        }
      }
      if (spec.fallback) {
        allowed += fmt::format("; other names: `{}` with a warning",
                               spec.choices[static_cast<std::size_t>(*spec.fallback)].name);
      }
    } else if (spec.min || spec.max) {
      const bool integer = spec.type == KeyType::kInteger;
      auto show = [&](double x) {
        return integer ? fmt::format("{:.0f}", x) : fmt::format("{}", x);
      };
      if (spec.min && spec.max) {
        allowed = fmt::format("{}{}, {}]", spec.min_exclusive ? "(" : "[", show(*spec.min),
                              show(*spec.max));
      } else if (spec.min) {
        allowed = fmt::format("{} {}", spec.min_exclusive ? ">" : ">=", show(*spec.min));
      } else {
        allowed = fmt::format("<= {}", show(*spec.max));
      }
    }
    std::string effect(spec.help);
    if (spec.inert) effect = "*no effect*: " + effect;
    for (const auto& d : spec.dependencies)
      effect += fmt::format(" Needs `{}`: {}.", d.key, d.needs);
    if (spec.sweepable) effect += " *Sweep.*";
    std::string text = effect;
    for (std::size_t pos = 0; (pos = text.find('|', pos)) != std::string::npos; pos += 2)
      text.replace(pos, 1, "\\|");
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", spec.path, TypeName(spec.type),
                       spec.default_text.empty() ? "–" : fmt::format("`{}`", spec.default_text),
                       allowed, text);
  }
  return out;
}

}  // namespace trend
