// Words on the command line that are not commands or options of the chosen command, caught
// before CLI11 parses: CLI11 alone answers `trend rnu` with "A subcommand is required" and
// `trend run --confg x` with "--config is required", neither naming the mistake.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trend {

// The candidate nearest to `word` (at most 2 edits, or one of them a prefix of the other),
// if any.
std::optional<std::string> NearestWord(std::string_view word,
                                       const std::vector<std::string>& candidates);

// "unknown command 'rnu' (did you mean 'run'?)", "unknown option --confg for `trend run` (did
// you mean --config?)", or nothing when every command and option is known.
std::optional<std::string> UnknownWord(const CLI::App& app, int argc, const char* const* argv);

}  // namespace trend
