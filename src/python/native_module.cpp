// trend_engine._native: the engine for Python (pybind11). Thin: the Python package
// (python/trend_engine) turns DataFrames into the arrays taken here and the JSON documents
// returned into dicts and DataFrames. The GIL is released while the engine computes, so
// Python threads run analyses on every core.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "config/sweep_grid.hpp"
#include "data/csv_reader.hpp"
#include "data/date.hpp"
#include "data/membership.hpp"
#include "error/input_error.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"
#include "report/json_report.hpp"
#include "report/multi_period_json.hpp"
#include "report/sweep_table.hpp"
#include "sweep/sweep.hpp"

namespace py = pybind11;

namespace trend {
namespace {

// Runs in the engine now, and the most there have been at once: the GIL test's evidence that
// two Python threads computed at the same time.
std::atomic<int> active_runs{0};
std::atomic<int> peak_runs{0};

class ActiveRun {
 public:
  ActiveRun() {
    const int now = ++active_runs;
    int peak = peak_runs.load();
    while (now > peak && !peak_runs.compare_exchange_weak(peak, now)) {
    }
  }
  ~ActiveRun() { --active_runs; }
  ActiveRun(const ActiveRun&) = delete;
  ActiveRun& operator=(const ActiveRun&) = delete;
};

// Python's ConfigError and DataError (subclasses of ValueError), set at import.
PyObject* config_error = nullptr;
PyObject* data_error = nullptr;

struct ConfigFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

LoadedConfig LoadConfig(const std::string& text, const std::string& source,
                        const std::string& base_dir) {
  try {
    return ParseConfig(text, source, base_dir);
  } catch (const InputError& e) {
    throw ConfigFailure(e.what());
  }
}

// The returns as the engine's frame: dates in days since 1970 (from datetime64[ns]), values
// float64 in column-major order (a DataFrame's own layout, so the copy is one block move).
ReturnsFrame FrameFromArrays(const py::array_t<std::int64_t>& nanos,
                             const std::vector<std::string>& columns,
                             const py::array_t<double, py::array::f_style>& values) {
  const auto rows = static_cast<std::size_t>(nanos.size());
  if (values.ndim() != 2 || static_cast<std::size_t>(values.shape(0)) != rows ||
      static_cast<std::size_t>(values.shape(1)) != columns.size()) {
    throw InputError(fmt::format("returns: {} dates, {} columns, but a {}x{} block of values", rows,
                                 columns.size(), values.ndim() > 0 ? values.shape(0) : 0,
                                 values.ndim() > 1 ? values.shape(1) : 0));
  }
  ReturnsFrame frame;
  frame.columns = columns;
  frame.dates.reserve(rows);
  constexpr std::int64_t kNanosPerDay = 86'400'000'000'000;
  const std::int64_t* n = nanos.data();
  for (std::size_t i = 0; i < rows; ++i) {
    const std::int64_t day = n[i] >= 0 ? n[i] / kNanosPerDay : -((-n[i] - 1) / kNanosPerDay) - 1;
    frame.dates.push_back(Date{static_cast<std::int32_t>(day)});
    if (i > 0 && !(frame.dates[i - 1] < frame.dates[i])) {
      throw InputError(
          fmt::format("returns: the index must be ascending dates without repeats; {} "
                      "follows {}",
                      FormatDate(frame.dates[i]), FormatDate(frame.dates[i - 1])));
    }
  }
  frame.values.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(columns.size()));
  if (values.size() > 0)
    std::memcpy(frame.values.data(), values.data(),
                sizeof(double) * static_cast<std::size_t>(values.size()));
  for (Eigen::Index j = 0; j < frame.values.cols(); ++j) {
    for (Eigen::Index i = 0; i < frame.values.rows(); ++i) {
      if (std::isinf(frame.values(i, j))) {
        throw InputError(fmt::format("returns: column '{}' at {} is infinite",
                                     columns[static_cast<std::size_t>(j)],
                                     FormatDate(frame.dates[static_cast<std::size_t>(i)])));
      }
    }
  }
  return frame;
}

struct Inputs {
  LoadedConfig config;
  ReturnsFrame frame;
  std::string source;
};

// With arrays: them; else the CSV at `returns_path`, or the config's data.csv_path.
Inputs Prepare(const std::string& config_text, const std::string& config_name,
               const std::string& base_dir, const std::optional<py::array_t<std::int64_t>>& nanos,
               const std::vector<std::string>& columns,
               const std::optional<py::array_t<double, py::array::f_style>>& values,
               const std::string& returns_path) {
  Inputs in;
  in.config = LoadConfig(config_text, config_name, base_dir);
  if (nanos && values) {
    in.frame = FrameFromArrays(*nanos, columns, *values);
    in.source = "DataFrame";
    return in;
  }
  const std::string path = returns_path.empty() ? in.config.settings.data.csv_path : returns_path;
  if (path.empty()) {
    throw ConfigFailure(fmt::format(
        "{}: neither data.csv_path nor returns is given; pass returns (a DataFrame or a path)",
        config_name));
  }
  CsvOptions csv;
  csv.date_column = in.config.settings.data.date_column;
  in.frame = LoadReturnsCsv(path, csv);
  in.source = path;
  return in;
}

// One analysis or backtest; the document `trend run --json` writes, warnings included.
std::string Run(const std::string& config_text, const std::string& config_name,
                const std::string& base_dir, std::optional<py::array_t<std::int64_t>> nanos,
                std::vector<std::string> columns,
                std::optional<py::array_t<double, py::array::f_style>> values,
                std::string returns_path, bool multi) {
  Inputs in = Prepare(config_text, config_name, base_dir, nanos, columns, values, returns_path);
  const py::gil_scoped_release unlocked;
  const ActiveRun active;
  const AnalysisSettings& settings = in.config.settings;
  std::vector<std::string> warnings =
      ConfigWarnings(in.config, multi ? RunMode::kMultiPeriod : RunMode::kSinglePeriod);
  nlohmann::json doc;
  std::vector<std::string> run_warnings;
  if (multi) {
    if (!settings.multi_period) {
      throw ConfigFailure(fmt::format(
          "{}: a multi-period run needs a multi_period section (frequency, in_sample_len, "
          "out_sample_len, start, end)",
          config_name));
    }
    std::optional<Membership> membership;
    if (settings.data.universe_membership_path)
      membership = LoadMembership(*settings.data.universe_membership_path);
    const MultiPeriodResult result = AnalyseMultiPeriod(
        std::move(in.frame), settings, in.source, {}, {}, membership ? &*membership : nullptr);
    doc = MultiPeriodToJson(result);
    run_warnings = result.warnings;
  } else {
    const AnalysisResult result = AnalyseReturns(std::move(in.frame), settings, in.source);
    doc = AnalysisToJson(result);
    run_warnings = result.warnings;
  }
  for (const auto& w : run_warnings) {
    if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(w);
  }
  doc["warnings"] = warnings;
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Every configuration of a grid on `threads` threads: the rows of results.csv.
std::string Sweep(const std::string& config_text, const std::string& config_name,
                  const std::string& base_dir, const std::string& grid_text,
                  std::optional<py::array_t<std::int64_t>> nanos, std::vector<std::string> columns,
                  std::optional<py::array_t<double, py::array::f_style>> values,
                  std::string returns_path, std::size_t threads) {
  Inputs in = Prepare(config_text, config_name, base_dir, nanos, columns, values, returns_path);
  SweepGrid grid;
  try {
    grid = ParseSweepGrid(grid_text, "grid", in.config, base_dir);
  } catch (const InputError& e) {
    throw ConfigFailure(e.what());
  }
  const py::gil_scoped_release unlocked;
  const ActiveRun active;
  std::optional<Membership> membership;
  if (in.config.settings.data.universe_membership_path)
    membership = LoadMembership(*in.config.settings.data.universe_membership_path);
  const PreparedReturns data = PrepareSweepReturns(in.config.settings, grid, std::move(in.frame),
                                                   in.source, membership ? &*membership : nullptr);
  SweepOptions options;
  options.threads = threads;
  std::string csv = SweepCsvHeader(grid);
  RunSweep(data, in.config.settings, grid, options,
           [&](const SweepRow& row) { csv += SweepCsvLine(grid, row); });
  return csv;
}

}  // namespace

void BindBloom(py::module_& parent);  // bloom_bindings.cpp

}  // namespace trend

PYBIND11_MODULE(_native, m) {
  m.doc() = "Trend Engine's C++ core; use the trend_engine package, not this module";
  static py::exception<trend::ConfigFailure> config(m, "ConfigError", PyExc_ValueError);
  static py::exception<trend::InputError> data(m, "DataError", PyExc_ValueError);
  trend::config_error = config.ptr();
  trend::data_error = data.ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const trend::ConfigFailure& e) {
      PyErr_SetString(trend::config_error, e.what());
    } catch (const trend::ConfigError& e) {
      PyErr_SetString(trend::config_error, e.what());
    } catch (const trend::InputError& e) {
      PyErr_SetString(trend::data_error, e.what());
    }
  });
  m.def("run", &trend::Run, py::arg("config_text"), py::arg("config_name"), py::arg("base_dir"),
        py::arg("dates"), py::arg("columns"), py::arg("values"), py::arg("returns_path"),
        py::arg("multi_period"),
        "One analysis (or backtest): the JSON document `trend run --json` writes");
  m.def("sweep", &trend::Sweep, py::arg("config_text"), py::arg("config_name"), py::arg("base_dir"),
        py::arg("grid_text"), py::arg("dates"), py::arg("columns"), py::arg("values"),
        py::arg("returns_path"), py::arg("threads"),
        "Every configuration of a grid: the text of `trend sweep`'s results.csv");
  m.def(
      "peak_concurrent_runs", [] { return trend::peak_runs.load(); },
      "The most engine calls that have run at once in this process (for the GIL test)");
  m.def("reset_peak_concurrent_runs", [] { trend::peak_runs = trend::active_runs.load(); });
  trend::BindBloom(m);
}
