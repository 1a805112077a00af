#include "cli/did_you_mean.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cctype>

#include "config/schema.hpp"  // EditDistance, also behind the config keys' suggestions

namespace trend {
namespace {

std::vector<const CLI::App*> Subcommands(const CLI::App& command) {
  return command.get_subcommands([](const CLI::App*) { return true; });
}

std::string Hint(const std::optional<std::string>& nearest, std::string_view quote) {
  return nearest ? fmt::format(" (did you mean {}{}{}?)", quote, *nearest, quote) : "";
}

}  // namespace

std::optional<std::string> NearestWord(std::string_view word,
                                       const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 3;
  for (const std::string& candidate : candidates) {
    std::size_t distance = EditDistance(word, candidate);
    const std::string_view shorter = word.size() < candidate.size() ? word : candidate;
    const std::string_view longer = word.size() < candidate.size() ? candidate : word;
    // "--conf" for "--config": a prefix counts as near, whatever its length.
    if (shorter.size() >= 3 && longer.substr(0, shorter.size()) == shorter)
      distance = std::min<std::size_t>(distance, 1);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::optional<std::string> UnknownWord(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* command = &app;
  std::string path = "trend";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;  // what follows is data
    if (arg.size() > 1 && arg[0] == '-' && !std::isdigit(static_cast<unsigned char>(arg[1]))) {
      const std::string name(arg.substr(0, arg.find('=')));
      const bool long_name = name.rfind("--", 0) == 0;
      if (!long_name && name.size() != 2) continue;  // -abc: grouped short flags, CLI11's call
      const CLI::Option* option = command->get_option_no_throw(name);
      if (option == nullptr) {
        if (name == "--help" || name == "-h" || (command == &app && name == "--version")) continue;
        std::vector<std::string> names;
        for (const CLI::Option* o : command->get_options()) {
          for (const auto& l : o->get_lnames()) names.push_back("--" + l);
        }
        if (command == &app) names.push_back("--version");
        return fmt::format("unknown option {} for `{}`{}", name, path,
                           Hint(NearestWord(name, names), ""));
      }
      // Its value, when given apart, may look like an option ("-" for stdout).
      if (option->get_type_size_max() > 0 && arg.find('=') == std::string_view::npos) ++i;
      continue;
    }
    const auto subcommands = Subcommands(*command);
    if (subcommands.empty()) continue;  // a positional argument
    const auto match = std::find_if(subcommands.begin(), subcommands.end(), [&](const CLI::App* s) {
      return s->check_name(std::string(arg));
    });
    if (match != subcommands.end()) {
      command = *match;
      path += " " + command->get_name();
      continue;
    }
    if (command->get_require_subcommand_min() == 0) continue;
    std::vector<std::string> names;
    for (const CLI::App* s : subcommands) names.push_back(s->get_name());
    return fmt::format("unknown command '{}'{}{}", arg,
                       command == &app ? "" : fmt::format(" for `{}`", path),
                       Hint(NearestWord(arg, names), "'"));
  }
  return std::nullopt;
}

}  // namespace trend
