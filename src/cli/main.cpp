// `trend`: the command-line front end. Thin: parses arguments, loads the inputs, calls the
// pipeline and the reports. User errors exit 2 with one line naming what was wrong.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "cli/run_command.hpp"
#include "error/input_error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Trend Engine: volatility-adjusted trend portfolio analysis"};
  app.require_subcommand(1);

  trend::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run the analysis described by a config file");
  run_cmd->add_option("-c,--config", run.config_path, "YAML config (reference schema)")->required();
  run_cmd->add_option("--returns", run.returns_path, "Returns CSV (overrides data.csv_path)");
  run_cmd->add_option("--json", run.json_path,
                      "Write the full result as JSON to PATH, or - for stdout");
  run_cmd->add_option("--out", run.out_dir, "Write the exports (export.formats) to DIR");
  run_cmd->add_option("--seed", run.seed, "Random-selection seed (overrides seed)");
  run_cmd->add_flag("--multi-period", run.multi_period,
                    "Walk forward over the multi_period schedule (per-period table and summary)");
  run_cmd->add_flag("--no-export", run.no_export, "Skip the file exports");
  run_cmd->add_flag("-q,--quiet", run.quiet, "Do not print the summary");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (run_cmd->parsed()) return trend::RunCommand(run);
  } catch (const trend::InputError& e) {
    std::fprintf(stderr, "trend: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trend: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
