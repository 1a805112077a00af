#include "server/web_assets.hpp"

#include <array>
#include <cstddef>
#include <utility>

// Each file is included byte for byte by the assembler (.incbin), between a begin and an end
// symbol; TREND_WEB_DIR, TREND_CHARTJS and TREND_DEMO_DIR are set by CMake, which also rebuilds
// this file when one of them changes.
#define TREND_EMBED(name, file)    \
  asm(".section .rodata\n"         \
      ".global trend_asset_" #name \
      "_begin\n"                   \
      ".global trend_asset_" #name \
      "_end\n"                     \
      "trend_asset_" #name         \
      "_begin:\n"                  \
      ".incbin \"" file            \
      "\"\n"                       \
      "trend_asset_" #name         \
      "_end:\n"                    \
      ".previous\n");              \
  extern "C" const char trend_asset_##name##_begin[], trend_asset_##name##_end[];

TREND_EMBED(index_html, TREND_WEB_DIR "/index.html")
TREND_EMBED(app_js, TREND_WEB_DIR "/app.js")
TREND_EMBED(report_view_js, TREND_WEB_DIR "/report_view.js")
TREND_EMBED(style_css, TREND_WEB_DIR "/style.css")
TREND_EMBED(chart_js, TREND_CHARTJS)
TREND_EMBED(demo_csv, TREND_DEMO_DIR "/demo/demo_returns.csv")
TREND_EMBED(demo_yml, TREND_DEMO_DIR "/config/demo.yml")
TREND_EMBED(config_form_js, TREND_WEB_DIR "/config_form.js")
TREND_EMBED(js_yaml, TREND_WEB_DIR "/node_modules/js-yaml/dist/js-yaml.min.js")
TREND_EMBED(sample_csv, TREND_DEMO_DIR "/demo/sample_panel.csv")
TREND_EMBED(sample_yml, TREND_DEMO_DIR "/config/sample.yml")
TREND_EMBED(preset_conservative, TREND_DEMO_DIR "/config/presets/conservative.yml")
TREND_EMBED(preset_balanced, TREND_DEMO_DIR "/config/presets/balanced.yml")
TREND_EMBED(preset_aggressive, TREND_DEMO_DIR "/config/presets/aggressive.yml")
TREND_EMBED(preset_cash_constrained, TREND_DEMO_DIR "/config/presets/cash_constrained.yml")
TREND_EMBED(preset_hrp_trend, TREND_DEMO_DIR "/config/presets/hrp_trend.yml")
TREND_EMBED(preset_threshold_hold, TREND_DEMO_DIR "/config/presets/threshold_hold.yml")

namespace trend {
namespace {

struct Entry {
  std::string_view path;
  WebAsset asset;
};

Entry Make(std::string_view path, std::string_view type, const char* begin, const char* end) {
  return {path, {type, std::make_shared<const std::string>(begin, end)}};
}

}  // namespace

const WebAsset* FindWebAsset(std::string_view path) {
  constexpr std::string_view kHtml = "text/html; charset=utf-8";
  constexpr std::string_view kJs = "text/javascript; charset=utf-8";
#define TREND_ASSET(path, type, name) \
  Make(path, type, trend_asset_##name##_begin, trend_asset_##name##_end)
  constexpr std::string_view kYaml = "text/yaml; charset=utf-8";
  static const std::array<Entry, 18> kAssets = {
      TREND_ASSET("/", kHtml, index_html),
      TREND_ASSET("/index.html", kHtml, index_html),
      TREND_ASSET("/assets/app.js", kJs, app_js),
      TREND_ASSET("/assets/report_view.js", kJs, report_view_js),
      TREND_ASSET("/assets/style.css", "text/css; charset=utf-8", style_css),
      TREND_ASSET("/assets/chart.umd.js", kJs, chart_js),
      // The bundled demo, so the page can run something before a user has a file at hand.
      TREND_ASSET("/assets/demo_returns.csv", "text/csv; charset=utf-8", demo_csv),
      TREND_ASSET("/assets/demo.yml", kYaml, demo_yml),
      TREND_ASSET("/assets/config_form.js", kJs, config_form_js),
      TREND_ASSET("/assets/js-yaml.min.js", kJs, js_yaml),
      // The realistic sample the page opens with, and the presets it offers.
      TREND_ASSET("/assets/sample_panel.csv", "text/csv; charset=utf-8", sample_csv),
      TREND_ASSET("/assets/sample.yml", kYaml, sample_yml),
      TREND_ASSET("/assets/presets/conservative.yml", kYaml, preset_conservative),
      TREND_ASSET("/assets/presets/balanced.yml", kYaml, preset_balanced),
      TREND_ASSET("/assets/presets/aggressive.yml", kYaml, preset_aggressive),
      TREND_ASSET("/assets/presets/cash_constrained.yml", kYaml, preset_cash_constrained),
      TREND_ASSET("/assets/presets/hrp_trend.yml", kYaml, preset_hrp_trend),
      TREND_ASSET("/assets/presets/threshold_hold.yml", kYaml, preset_threshold_hold),
  };
#undef TREND_ASSET
  for (const Entry& entry : kAssets) {
    if (entry.path == path) return &entry.asset;
  }
  return nullptr;
}

}  // namespace trend
