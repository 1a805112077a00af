#include "jobs/sweep_rows.hpp"

#include <cmath>
#include <list>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "config/sweep_grid.hpp"
#include "digest/sha256.hpp"
#include "error/input_error.hpp"

namespace trend::jobs {
namespace {

using nlohmann::json;

json Number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

double NumberFrom(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const auto text = value.get<std::string>();
    if (text == "nan") return std::nan("");
    if (text == "inf") return INFINITY;
    if (text == "-inf") return -INFINITY;
  }
  throw std::invalid_argument("sweep row: expected a number");
}

}  // namespace

json SweepRowToJson(const SweepRow& row) {
  const Stats& s = row.out_user;
  return {{"index", row.index},
          {"coordinates", row.coordinates},
          {"error", row.error},
          {"warnings", row.warnings},
          {"stats", json::array({Number(s.cagr), Number(s.vol), Number(s.sharpe), Number(s.sortino),
                                 Number(s.max_drawdown), Number(s.information_ratio)})},
          {"turnover", Number(row.turnover)},
          {"transaction_cost", Number(row.transaction_cost)},
          {"periods", row.periods}};
}

SweepRow SweepRowFromJson(const json& j) {
  if (!j.is_object()) throw std::invalid_argument("sweep row: expected an object");
  SweepRow row;
  try {
    row.index = j.at("index").get<std::size_t>();
    row.coordinates = j.at("coordinates").get<std::vector<std::size_t>>();
    row.error = j.at("error").get<std::string>();
    row.warnings = j.at("warnings").get<std::vector<std::string>>();
    const json& stats = j.at("stats");
    if (!stats.is_array() || stats.size() != 6)
      throw std::invalid_argument("sweep row: stats must hold 6 numbers");
    row.out_user = {NumberFrom(stats[0]), NumberFrom(stats[1]), NumberFrom(stats[2]),
                    NumberFrom(stats[3]), NumberFrom(stats[4]), NumberFrom(stats[5])};
    row.turnover = NumberFrom(j.at("turnover"));
    row.transaction_cost = NumberFrom(j.at("transaction_cost"));
    row.periods = j.at("periods").get<std::size_t>();
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("sweep row: ") + e.what());
  }
  return row;
}

namespace {

// What every chunk of one sweep shares: the parsed config and grid and the prepared returns.
// A worker gets many chunks of the same sweep in a row; preparing once per process instead of
// once per chunk is most of a small chunk's cost.
struct SweepState {
  LoadedConfig base;
  SweepGrid grid;
  PreparedReturns data;
};

std::string StateKey(const ReturnsFrame& frame, const SweepChunkInput& input) {
  std::string text = input.config_name + '\0' + input.config_text + '\0' + input.grid_name + '\0' +
                     input.grid_text + '\0' + input.base_dir + '\0';
  for (const auto& column : frame.columns) text += column + '\0';
  for (const auto& date : frame.dates) text.append(reinterpret_cast<const char*>(&date.days), 4);
  text.append(reinterpret_cast<const char*>(frame.values.data()),
              static_cast<std::size_t>(frame.values.size()) * sizeof(double));
  return Sha256Hex(text);
}

std::shared_ptr<const SweepState> PrepareState(const ReturnsFrame& frame,
                                               const SweepChunkInput& input) {
  static std::mutex mutex;
  static std::list<std::pair<std::string, std::shared_ptr<const SweepState>>> recent;
  const std::string key = StateKey(frame, input);
  {
    std::lock_guard lock(mutex);
    for (const auto& [k, state] : recent) {
      if (k == key) return state;
    }
  }
  LoadedConfig base = ParseConfig(input.config_text, input.config_name, input.base_dir);
  // Files on the client's machine are not the worker's to read. (data.source is: the client
  // read it and sent the returns as the dataset, which a chunk always has.)
  if (base.settings.data.universe_membership_path)
    throw InputError(input.config_name +
                     ": data.universe_membership_path is not supported by a distributed sweep");
  SweepGrid grid = ParseSweepGrid(input.grid_text, input.grid_name, base, input.base_dir);
  PreparedReturns data = PrepareSweepReturns(base.settings, grid, frame, "dataset", nullptr);
  auto state = std::make_shared<const SweepState>(
      SweepState{std::move(base), std::move(grid), std::move(data)});
  std::lock_guard lock(mutex);
  recent.emplace_front(key, state);
  if (recent.size() > 4) recent.pop_back();
  return state;
}

}  // namespace

json RunSweepChunk(const ReturnsFrame& frame, const SweepChunkInput& input, std::size_t first,
                   std::size_t count, const WorkLimits& limits,
                   const std::function<void(std::size_t, std::size_t)>& progress) {
  const std::shared_ptr<const SweepState> state = PrepareState(frame, input);
  const RunGuard guard(limits);
  SweepOptions options;
  options.threads = 1;  // one task per worker process: processes are the unit of scale-out
  options.first = first;
  options.count = count;
  options.guard = &guard;
  json rows = json::array();
  RunSweep(
      state->data, state->base.settings, state->grid, options,
      [&](const SweepRow& row) { rows.push_back(SweepRowToJson(row)); },
      [&](std::size_t done) {
        if (progress) progress(done, count);
      });
  return {{"rows", std::move(rows)}};
}

}  // namespace trend::jobs
