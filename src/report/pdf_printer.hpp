// A PDF of an HTML report, printed by headless Chromium (the browser lays the page out as it
// shows it, so the PDF and the HTML agree). Chromium is found as $TREND_CHROMIUM, or
// chromium / chromium-browser / google-chrome on PATH.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace trend {

// The browser's path, or nullopt when none is installed.
std::optional<std::string> FindChromium();

// Prints `html` to `pdf`. Throws InputError when no browser is installed (saying how to get
// one) or when printing fails or takes over `timeout_seconds`.
void PrintHtmlToPdf(const std::filesystem::path& html, const std::filesystem::path& pdf,
                    int timeout_seconds = 120);

}  // namespace trend

namespace trend {

// Writes the HTML report to `output`: as it is for .html/.htm, printed for .pdf (the HTML
// goes to a temporary file beside it first). Throws InputError for another extension, naming
// the ones accepted, or when the file cannot be written.
void WriteReportFile(const std::string& html, const std::filesystem::path& output);

}  // namespace trend
