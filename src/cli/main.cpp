// `trend`: the command-line front end. Thin: parses arguments, loads the inputs, calls the
// pipeline and the reports. User errors exit 2 with one line naming what was wrong.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "cli/app_command.hpp"
#include "cli/bloom_command.hpp"
#include "cli/completion.hpp"
#include "cli/did_you_mean.hpp"
#include "cli/ingest_command.hpp"
#include "cli/report_command.hpp"
#include "cli/run_command.hpp"
#include "cli/sweep_command.hpp"
#include "cli/worker_command.hpp"
#include "config/schema.hpp"
#include "error/input_error.hpp"

namespace {

// The work limits of trend run, sweep and app: each bounds what one run may ask for.
void AddWorkLimitOptions(CLI::App* command, trend::WorkLimits& limits) {
  command
      ->add_option("--max-cells", limits.max_cells,
                   "Most funds x months a run may read (work limit)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command
      ->add_option("--max-pairwise-funds", limits.max_pairwise_funds,
                   "Most funds in one covariance matrix (weighting engines other than equal) "
                   "or AvgCorr comparison (work limit)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command
      ->add_option("--max-periods", limits.max_periods,
                   "Most periods of a multi_period schedule (work limit)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_flag_callback(
      "--no-limits", [&limits] { limits.enforced = false; },
      "Lift every work limit (a trusted batch)");
}

// A limit given beside --no-limits does nothing: say so rather than ignore it.
void WarnLiftedLimits(const CLI::App* command, const trend::WorkLimits& limits) {
  if (limits.enforced) return;
  for (const char* flag : {"--max-cells", "--max-pairwise-funds", "--max-periods"}) {
    if (command->count(flag) > 0) {
      std::fprintf(stderr, "trend: warning: %s has no effect: --no-limits lifts every work limit\n",
                   flag);
    }
  }
}

// With --broker the configurations run in the workers, under the workers' own settings.
void WarnDistributedIgnores(const CLI::App* command, const trend::SweepCommandOptions& sweep) {
  if (sweep.broker.empty()) return;
  if (command->count("--threads") > 0) {
    std::fprintf(stderr,
                 "trend: warning: --threads has no effect with --broker: each worker process "
                 "runs one chunk at a time (start more workers, or --concurrency on them)\n");
  }
  for (const char* flag : {"--max-cells", "--max-pairwise-funds", "--max-periods", "--no-limits"}) {
    if (command->count(flag) > 0) {
      std::fprintf(stderr,
                   "trend: warning: %s has no effect with --broker: the workers apply the limits "
                   "given to `trend worker`\n",
                   flag);
    }
  }
  if (!sweep.scaling && command->count("--workers") > 0) {
    std::fprintf(stderr, "trend: warning: --workers has no effect without --scaling\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trend Engine: volatility-adjusted trend portfolio analysis"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "trend " TREND_VERSION);

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
  run_cmd->add_flag("--strict", run.strict,
                    "Treat every warning (unknown key, a key with no effect, a fallback) as an "
                    "error: exit 2 before writing anything");
  run_cmd->add_option("--broker", run.broker,
                      "With --multi-period: run the periods on `trend worker` processes on this "
                      "broker (redis://host:port/db)");
  run_cmd->add_option("--backend,--result-backend", run.backend,
                      "Result backend URL with --broker (default: the broker)");
  run_cmd->add_option("--queue", run.queue, "Queue the periods go to, with --broker")
      ->capture_default_str();
  AddWorkLimitOptions(run_cmd, run.limits);

  trend::ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report", "Write the analysis as a self-contained HTML report, or a PDF of it");
  report_cmd->add_option("-c,--config", report.config_path, "YAML config (reference schema)")
      ->required();
  report_cmd->add_option("--returns", report.returns_path, "Returns CSV (overrides data.csv_path)");
  report_cmd
      ->add_option("-o,--output", report.output_path,
                   "report.html, or report.pdf (printed by headless Chromium)")
      ->required();
  report_cmd->add_option("--seed", report.seed, "Random-selection seed (overrides seed)");
  report_cmd->add_flag("--multi-period", report.multi_period,
                       "Report the walk-forward backtest over the multi_period schedule");
  AddWorkLimitOptions(report_cmd, report.limits);

  trend::SweepCommandOptions sweep;
  CLI::App* sweep_cmd =
      app.add_subcommand("sweep", "Run every configuration of a parameter grid on every core");
  sweep_cmd->add_option("-c,--config", sweep.config_path, "Base YAML config")->required();
  sweep_cmd
      ->add_option("--grid", sweep.grid_path,
                   "YAML mapping of config keys to lists of values (and mode: multi_period)")
      ->required();
  sweep_cmd->add_option("--returns", sweep.returns_path, "Returns CSV (overrides data.csv_path)");
  sweep_cmd->add_option("--threads", sweep.threads, "Worker threads (default: every core)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1024}));
  sweep_cmd->add_option("--out", sweep.out_dir, "Directory for results.csv and results.jsonl")
      ->capture_default_str();
  sweep_cmd->add_option("--top", sweep.top, "Print the best K configurations")
      ->capture_default_str();
  sweep_cmd
      ->add_option("--metric", sweep.metric,
                   "Ranking metric: cagr, vol, sharpe, sortino, max_drawdown, ir")
      ->capture_default_str();
  sweep_cmd->add_flag("--scaling", sweep.scaling,
                      "Time a sample of the grid at 1..N threads and fit Amdahl's law");
  sweep_cmd
      ->add_option("--scaling-sample", sweep.scaling_sample,
                   "Configurations timed per thread count")
      ->capture_default_str();
  sweep_cmd->add_option("--broker", sweep.broker,
                        "Spread the grid over `trend worker` processes on this broker "
                        "(redis://host:port/db)");
  sweep_cmd->add_option("--backend,--result-backend", sweep.backend,
                        "Result backend URL with --broker (default: the broker)");
  sweep_cmd->add_option("--queue", sweep.queue, "Queue the chunks go to, with --broker")
      ->capture_default_str();
  sweep_cmd
      ->add_option("--chunk", sweep.chunk_size,
                   "Configurations per task with --broker (default: about 128 tasks of 32 or more)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  sweep_cmd
      ->add_option("--workers", sweep.scaling_workers,
                   "With --broker --scaling: time 1..N worker processes it starts itself "
                   "(default: one per core)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{256}));
  sweep_cmd->add_flag("-q,--quiet", sweep.quiet, "No progress bar or summary");
  sweep_cmd->add_flag("--strict", sweep.strict,
                      "Fail (exit 2) before running if the config or any configuration of the "
                      "grid has a warning, e.g. a swept key that has no effect");
  AddWorkLimitOptions(sweep_cmd, sweep.limits);

  std::string config_what;
  CLI::App* config_cmd = app.add_subcommand(
      "config", "Print the config schema: 'schema' (JSON Schema) or 'docs' (docs/config.md)");
  config_cmd->add_option("what", config_what, "schema or docs")
      ->required()
      ->check(CLI::IsMember({"schema", "docs"}));

  std::string completion_shell;
  CLI::App* completion_cmd = app.add_subcommand(
      "completion", "Print a shell completion script: bash (source it) or zsh (as _trend)");
  completion_cmd->add_option("shell", completion_shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));

  trend::AppCommandOptions serve;
  CLI::App* app_cmd =
      app.add_subcommand("app", "Serve the JSON API over HTTP (until SIGINT/SIGTERM)");
  app_cmd->add_option("--host", serve.host, "Address to listen on")->capture_default_str();
  app_cmd->add_option("--port", serve.port, "Port (0: any free port)")->capture_default_str();
  app_cmd->add_flag("--reuse-port", serve.reuse_port,
                    "Listen even when another server listens on the port (the kernel shares the "
                    "connections between them); without it a port in use is an error");
  app_cmd->add_option("--threads", serve.threads, "Event loops and workers (default: every core)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1024}));
  app_cmd
      ->add_option("--cache", serve.cache,
                   "Result cache: memory, redis://host:port[/db] or memcached://host:port "
                   "(shared by several servers, behind the in-process cache)")
      ->capture_default_str();
  // Budgets up to 1 TB: beyond that the byte count would overflow on the way.
  app_cmd->add_option("--cache-mb", serve.cache_mb, "In-process cache budget")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20))
      ->capture_default_str();
  app_cmd->add_option("--cache-ttl", serve.cache_ttl_seconds, "Seconds a shared result lives")
      ->capture_default_str();
  app_cmd
      ->add_option("--data-dir", serve.data_dir,
                   "Also keep uploaded datasets here (<id>.csv); they survive restarts")
      ->capture_default_str();
  app_cmd->add_option("--dataset-mb", serve.dataset_mb, "In-memory dataset budget")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20))
      ->capture_default_str();
  app_cmd
      ->add_option("--body-budget-mb", serve.body_budget_mb,
                   "Request bodies held at once over every connection; past it: 503 and "
                   "Retry-After")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  app_cmd
      ->add_option("--token", serve.token_file,
                   "File holding the access token (else TREND_TOKEN): every request but the "
                   "public paths needs Authorization: Bearer <token>; required to listen "
                   "beyond loopback")
      ->check(CLI::ExistingFile);
  app_cmd
      ->add_option("--public-paths", serve.public_paths,
                   "Paths served without the token (a trailing * matches a prefix)")
      ->delimiter(',')
      ->capture_default_str();
  app_cmd
      ->add_option("--allowed-hosts", serve.allowed_hosts,
                   "Host names requests may name (default: localhost, 127.0.0.1 and ::1 on a "
                   "loopback address, any elsewhere; * for any)")
      ->delimiter(',');
  app_cmd
      ->add_option("--error-log", serve.error_log,
                   "Structured (JSON lines) error log: a path, - for stderr, or '' for none")
      ->capture_default_str();
  app_cmd
      ->add_option("--access-log", serve.access_log,
                   "Combined-format access log: a path, - for stderr, or '' for none")
      ->capture_default_str();

  app_cmd->add_option("--broker", serve.broker,
                      "Run jobs (/api/v1/jobs) on the `trend worker` processes of this broker "
                      "(redis://host:port/db); default: on threads of this process");
  app_cmd->add_option("--backend,--result-backend", serve.backend,
                      "Result backend URL with --broker (default: the broker)");
  app_cmd->add_option("--queue", serve.queue, "Queue jobs go to, with --broker")
      ->capture_default_str();
  app_cmd
      ->add_option("--job-threads", serve.job_threads,
                   "Jobs run at once (default: one per core in process, 16 on a broker); "
                   "the rest wait as PENDING")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1024}));
  app_cmd->add_option("--job-mb", serve.job_mb, "Finished jobs' results kept in memory")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20))
      ->capture_default_str();
  app_cmd->add_option("--usage-db", serve.usage_db,
                      "Serve GET /api/v1/usage from this database (where trend ingest loads the "
                      "access log): a path, sqlite:///abs/path.db or postgresql://...");
  AddWorkLimitOptions(app_cmd, serve.limits);
  app_cmd
      ->add_option_function<double>(
          "--run-timeout",
          [&serve](double seconds) {
            serve.run_timeout_ms = static_cast<std::uint64_t>(seconds * 1000.0);
          },
          "Seconds a run may take before it is cancelled with a 503 (0: no limit; default 60)")
      ->check(CLI::Range(0.0, 86'400.0));
  app_cmd
      ->add_option_function<double>(
          "--shutdown-grace",
          [&serve](double seconds) {
            serve.shutdown_grace_ms = static_cast<std::uint64_t>(seconds * 1000.0);
          },
          "Seconds in-flight requests get after SIGTERM; in the last quarter (at most 3 s) runs "
          "are cancelled, and the process exits within it (default 10)")
      ->check(CLI::Range(0.1, 3'600.0));

  trend::BloomCommandOptions bloom;
  CLI::App* bloom_cmd = app.add_subcommand(
      "bloom", "Bloom filter files, native or pybloom-live's: build, check, info");
  bloom_cmd->require_subcommand(1);
  CLI::App* bloom_build =
      bloom_cmd->add_subcommand("build", "Build a filter from keys on stdin, one per line");
  bloom_build
      ->add_option("--capacity", bloom.capacity,
                   "Keys it holds at its error rate (scalable: to start)")
      ->required()
      ->check(CLI::PositiveNumber);
  bloom_build->add_option("--error-rate", bloom.error_rate, "False-positive rate")
      ->check(CLI::Range(1e-9, 0.999999))
      ->capture_default_str();
  bloom_build->add_flag("--scalable", bloom.scalable,
                        "Grow past the capacity instead of refusing keys");
  bloom_build
      ->add_option("--growth", bloom.growth,
                   "Scalable: capacity factor per new sub-filter (default 4)")
      ->check(CLI::Range(2.0, 64.0));
  bloom_build->add_option("--format", bloom.format, "native, or pybloom (pybloom-live's tofile)")
      ->check(CLI::IsMember({"native", "pybloom"}))
      ->capture_default_str();
  bloom_build->add_option("-o,--output", bloom.output, "Filter file to write")->required();
  CLI::App* bloom_check = bloom_cmd->add_subcommand(
      "check",
      "Print present/absent per key (the keys given, else stdin); exit 1 if any is absent");
  bloom_check->add_option("file", bloom.file, "Filter file (either format)")->required();
  bloom_check->add_option("keys", bloom.keys, "Keys to look up (default: stdin, one per line)");
  bloom_check->add_flag("--mmap", bloom.map, "Map a native file instead of reading it");
  CLI::App* bloom_info =
      bloom_cmd->add_subcommand("info", "Kind, capacity, error rate, count and bits");
  bloom_info->add_option("file", bloom.file, "Filter file (either format)")->required();
  bloom_info->add_flag("--json", bloom.json, "One JSON object");
  for (CLI::App* action : {bloom_build, bloom_check, bloom_info}) {
    action->callback([&bloom, action] { bloom.action = action->get_name(); });
  }

  trend::IngestCommandOptions ingest;
  CLI::App* ingest_cmd = app.add_subcommand(
      "ingest",
      "Load log lines or fund-return rows, delivered at least once, exactly once into a database");
  ingest_cmd->add_option("--db", ingest.load.database,
                         "Database: a path or sqlite:///abs/path.db (SQLite), or postgresql://...");
  ingest_cmd->add_option("--format", ingest.format, "combined, common, trend-errors or returns")
      ->check(CLI::IsMember({"combined", "common", "trend-errors", "returns"}))
      ->capture_default_str();
  ingest_cmd->add_option("--stream", ingest.load.stream,
                         "Stream name, part of every record's identity (default: access, errors "
                         "or returns by format)");
  ingest_cmd->add_flag(
      "--follow", ingest.load.follow,
      "Keep reading as the files grow, across rotation and truncation (as tail -F), "
      "until SIGINT/SIGTERM");
  ingest_cmd
      ->add_option("--max-reject-rate", ingest.load.max_reject_rate,
                   "Fail (exit 2) when more than this fraction of lines is rejected, after "
                   "1,000 lines (1: never)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  ingest_cmd->add_option("--batch", ingest.load.batch_records, "Records per transaction")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  ingest_cmd
      ->add_option("--connections", ingest.load.connections,
                   "PostgreSQL: connections writing batches side by side (default 2); SQLite "
                   "writes over one")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16}));
  ingest_cmd->add_flag("-q,--quiet", ingest.quiet, "No progress bar");
  ingest_cmd->add_option("inputs", ingest.load.inputs, "Files, globs, or - for stdin");
  CLI::App* ingest_report = ingest_cmd->add_subcommand(
      "report",
      "Requests, status mix, latency percentiles per route, slowest and most-run analyses");
  ingest_report->add_option("--db", ingest.load.database, "Database (as for ingest)");
  ingest_report->add_option("--since", ingest.since,
                            "From: YYYY-MM-DD, an ISO time, or a span back: 24h, 7d");
  ingest_report->add_option("--until", ingest.until, "Until (exclusive), as --since");
  ingest_report->add_option("--stream", ingest.query.stream, "Only this stream");
  ingest_report->add_option("--top", ingest.query.top, "Rows per list")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}))
      ->capture_default_str();
  ingest_report->add_flag("--json", ingest.json, "The report as JSON (as GET /api/v1/usage)");
  ingest_report->callback([&ingest] { ingest.report = true; });

  trend::WorkerCommandOptions worker;
  CLI::App* worker_cmd = app.add_subcommand(
      "worker", "Run Celery tasks (trend.run, trend.sweep_chunk) from a Redis broker");
  worker_cmd->add_option("--broker", worker.broker, "Broker URL: redis://host:port/db")->required();
  worker_cmd->add_option("--backend,--result-backend", worker.backend,
                         "Result backend URL: redis://host:port/db (default: the broker)");
  worker_cmd->add_option("--queues,--queue,-Q", worker.queues, "Queues to consume, comma-separated")
      ->capture_default_str();
  worker_cmd->add_option("--concurrency,-c", worker.concurrency,
                         "Worker processes (default: one per core)");
  worker_cmd->add_option("--prefetch", worker.prefetch, "Messages a process takes at a time")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}))
      ->capture_default_str();
  worker_cmd
      ->add_option("--visibility-timeout", worker.visibility_timeout,
                   "Seconds before a dead worker's unacknowledged task is delivered again")
      ->check(CLI::Range(1u, 86'400u * 30))
      ->capture_default_str();
  worker_cmd->add_option("--name,-n", worker.name, "Worker name (default: trend@HOST)");
  worker_cmd
      ->add_option("--metrics-port", worker.metrics_port,
                   "Serve /metrics and /healthz on 127.0.0.1:PORT (0: any free port)")
      ->check(CLI::Range(0, 65535));
  worker_cmd->add_flag("--bench-tasks", worker.bench_tasks,
                       "Also run the queue benchmark's bench.noop and bench.record");
  AddWorkLimitOptions(worker_cmd, worker.limits);

  if (const auto mistake = trend::UnknownWord(app, argc, argv)) {
    std::fprintf(stderr, "trend: error: %s\nRun with --help for more information.\n",
                 mistake->c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  WarnLiftedLimits(run_cmd, run.limits);
  WarnLiftedLimits(sweep_cmd, sweep.limits);
  WarnLiftedLimits(app_cmd, serve.limits);
  WarnLiftedLimits(worker_cmd, worker.limits);
  WarnDistributedIgnores(sweep_cmd, sweep);
  if (!run.broker.empty() && !run.multi_period) {
    std::fprintf(stderr,
                 "trend: warning: --broker has no effect without --multi-period: a single "
                 "analysis runs here (send trend.run to a worker to run it there)\n");
  }
  if (run.broker.empty()) {
    for (const char* flag : {"--backend", "--queue"}) {
      if (run_cmd->count(flag) > 0)
        std::fprintf(stderr, "trend: warning: %s has no effect without --broker\n", flag);
    }
  }
  if (serve.broker.empty()) {
    for (const char* flag : {"--backend", "--queue"}) {
      if (app_cmd->count(flag) > 0)
        std::fprintf(stderr, "trend: warning: %s has no effect without --broker\n", flag);
    }
  }
  if (sweep.broker.empty()) {
    for (const char* flag : {"--backend", "--queue", "--chunk", "--workers"}) {
      if (sweep_cmd->count(flag) > 0)
        std::fprintf(stderr, "trend: warning: %s has no effect without --broker\n", flag);
    }
  }
  try {
    if (run_cmd->parsed()) return trend::RunCommand(run);
    if (report_cmd->parsed()) return trend::ReportCommand(report);
    if (sweep_cmd->parsed()) return trend::SweepCommand(sweep);
    if (app_cmd->parsed()) return trend::AppCommand(serve);
    if (bloom_cmd->parsed()) return trend::BloomCommand(bloom);
    if (worker_cmd->parsed()) return trend::WorkerCommand(worker);
    if (ingest_cmd->parsed()) {
      if (!ingest.report && (ingest.load.database.empty() || ingest.load.inputs.empty())) {
        throw trend::InputError(
            "trend ingest needs --db URL and at least one input (files, globs or -)");
      }
      return trend::IngestCommand(ingest);
    }
    if (completion_cmd->parsed()) {
      const std::string text = trend::CompletionScript(app, completion_shell);
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
    if (config_cmd->parsed()) {
      const std::string text =
          config_what == "schema" ? trend::ConfigJsonSchema() + "\n" : trend::ConfigMarkdown();
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
  } catch (const trend::InputError& e) {
    std::fprintf(stderr, "trend: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trend: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
