#include "cli/completion.hpp"

#include <fmt/format.h>
#include <utility>
#include <vector>

namespace trend {
namespace {

struct CommandWords {
  std::string path;   // " bloom build": the words after `trend`, each after a space
  std::string words;  // its subcommands and options, space-separated
};

void Collect(const CLI::App& command, const std::string& path, std::vector<CommandWords>& out) {
  std::string words;
  auto add = [&words](const std::string& word) {
    if (!words.empty()) words += ' ';
    words += word;
  };
  const auto subcommands = command.get_subcommands([](const CLI::App*) { return true; });
  for (const CLI::App* sub : subcommands) add(sub->get_name());
  for (const CLI::Option* option : command.get_options()) {
    for (const auto& name : option->get_lnames()) add("--" + name);
    for (const auto& name : option->get_snames()) add("-" + name);
  }
  out.push_back({path, words});
  for (const CLI::App* sub : subcommands) Collect(*sub, path + " " + sub->get_name(), out);
}

// The shared part: walk the words typed so far along the known command paths.
std::string CommandPathCase(const std::vector<CommandWords>& commands, std::string_view word) {
  std::string alternatives;
  for (const auto& c : commands) {
    if (c.path.empty()) continue;
    if (!alternatives.empty()) alternatives += '|';
    alternatives += fmt::format("\"{}\"", c.path);
  }
  return fmt::format("    case \"$cmd {}\" in\n      {}) cmd=\"$cmd {}\" ;;\n    esac\n", word,
                     alternatives, word);
}

}  // namespace

std::string CompletionScript(const CLI::App& app, std::string_view shell) {
  std::vector<CommandWords> commands;
  Collect(app, "", commands);
  std::string cases;
  // zsh's $words and $path are its own (the command line, $PATH): other names here.
  for (const auto& c : commands)
    cases += fmt::format("    \"{}\") choices=\"{}\" ;;\n", c.path, c.words);
  if (shell == "bash") {
    return fmt::format(
        "# bash completion for trend (made by `trend completion bash`)\n"
        "_trend() {{\n"
        "  local cur=${{COMP_WORDS[COMP_CWORD]}} cmd=\"\" w i choices=\"\"\n"
        "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
        "    w=${{COMP_WORDS[i]}}\n"
        "{}"
        "  done\n"
        "  case \"$cmd\" in\n"
        "{}"
        "  esac\n"
        "  if [[ $cur == -* || -n $choices && $cur != */* && $cur != .* ]]; then\n"
        "    COMPREPLY=($(compgen -W \"$choices\" -- \"$cur\"))\n"
        "  fi\n"
        "  [[ ${{#COMPREPLY[@]}} -gt 0 || $cur == -* ]] || COMPREPLY=($(compgen -f -- \"$cur\"))\n"
        "}}\n"
        "complete -o filenames -F _trend trend\n",
        CommandPathCase(commands, "$w"), cases);
  }
  if (shell == "zsh") {
    return fmt::format(
        "#compdef trend\n"
        "# zsh completion for trend (made by `trend completion zsh`)\n"
        "_trend() {{\n"
        "  local cmd=\"\" w i choices=\"\"\n"
        "  for ((i = 2; i < CURRENT; i++)); do\n"
        "    w=${{words[i]}}\n"
        "{}"
        "  done\n"
        "  case \"$cmd\" in\n"
        "{}"
        "  esac\n"
        "  compadd -- ${{=choices}}\n"
        "  [[ ${{words[CURRENT]}} == -* ]] || _files\n"
        "}}\n"
        "_trend \"$@\"\n",
        CommandPathCase(commands, "$w"), cases);
  }
  throw std::invalid_argument(fmt::format("no completion for the shell '{}' (bash or zsh)", shell));
}

}  // namespace trend
