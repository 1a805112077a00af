// Shell completion scripts made from the command line's own definition (CLI11's tree of
// commands and options), so that they list exactly what `trend` accepts.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace trend {

// "bash" or "zsh": the script to source (bash) or to put on $fpath as _trend (zsh).
std::string CompletionScript(const CLI::App& app, std::string_view shell);

}  // namespace trend
