// Google Benchmark: kernels (metrics, covariance, weight engines, rank selection) and the
// in-process single-period analysis on reference-shaped inputs. Sizes are in the names.
#include <benchmark/benchmark.h>

#include <random>

#include "bench_inputs.hpp"
#include "config/config_loader.hpp"
#include "data/csv_reader.hpp"
#include "metrics/metrics.hpp"
#include "multiperiod/multi_period.hpp"
#include "pipeline/analysis.hpp"
#include "selection/selection_model.hpp"
#include "weighting/weighting_scheme.hpp"

namespace trend {
namespace {

Eigen::MatrixXd RandomPanel(int rows, int cols) {
  std::mt19937_64 gen(3);
  std::normal_distribution<double> noise(0.005, 0.04);
  Eigen::MatrixXd m(rows, cols);
  Eigen::VectorXd market(rows);
  for (int i = 0; i < rows; ++i) market[i] = noise(gen);
  for (int j = 0; j < cols; ++j) {
    for (int i = 0; i < rows; ++i) m(i, j) = 0.5 * market[i] + noise(gen);
  }
  return m;
}

void BM_StatsOneSeries360(benchmark::State& state) {
  const Eigen::MatrixXd panel = RandomPanel(360, 2);
  Eigen::VectorXd scratch;
  for (auto _ : state) benchmark::DoNotOptimize(ComputeStats(panel.col(0), panel.col(1), scratch));
}
BENCHMARK(BM_StatsOneSeries360);

void BM_Covariance50x360(benchmark::State& state) {
  const Eigen::MatrixXd panel = RandomPanel(360, 50);
  for (auto _ : state) benchmark::DoNotOptimize(SampleCovariance(panel));
}
BENCHMARK(BM_Covariance50x360);

void BM_WeightEngine50(benchmark::State& state, const std::string& name) {
  const Eigen::MatrixXd cov = SampleCovariance(RandomPanel(360, 50));
  const auto scheme = BuiltinWeightingSchemes().Create(name);
  for (auto _ : state) benchmark::DoNotOptimize(scheme->Weights(cov));
}
BENCHMARK_CAPTURE(BM_WeightEngine50, risk_parity, std::string("risk_parity"));
BENCHMARK_CAPTURE(BM_WeightEngine50, erc, std::string("erc"));
BENCHMARK_CAPTURE(BM_WeightEngine50, hrp, std::string("hrp"));
BENCHMARK_CAPTURE(BM_WeightEngine50, robust_mv, std::string("robust_mv"));
BENCHMARK_CAPTURE(BM_WeightEngine50, robust_risk_parity, std::string("robust_risk_parity"));

void BM_RankSelectTop50Of500x300(benchmark::State& state) {
  const Eigen::MatrixXd panel = RandomPanel(300, 500);
  std::vector<std::string> names;
  for (int i = 0; i < 500; ++i) names.push_back("Fund " + std::to_string(i));
  PortfolioSettings portfolio;
  portfolio.rank.n = 50;
  portfolio.rank.score_by = Metric::kSharpe;
  const auto model = BuiltinSelectionModels().Create("rank");
  const SelectionContext ctx{names, panel, portfolio, 42};
  for (auto _ : state) benchmark::DoNotOptimize(model->Select(ctx));
}
BENCHMARK(BM_RankSelectTop50Of500x300);

// The whole single-period analysis in process, from a parsed CSV to the result.
void RunEndToEnd(benchmark::State& state, const bench::PanelShape& shape, int first, int split,
                 int last) {
  const std::string csv = bench::MakeReturnsCsv(shape);
  const AnalysisSettings settings =
      ParseConfig(bench::MakeRankHrpConfig("x.csv", first, split, last), "bench.yml", "").settings;
  const ReturnsFrame frame = ParseReturnsCsv(csv, "bench.csv");
  for (auto _ : state) benchmark::DoNotOptimize(AnalyseReturns(frame, settings, "bench.csv"));
}

void BM_SinglePeriod500x360(benchmark::State& state) {
  RunEndToEnd(state, {500, 360, false, 1995, 7}, 1995, 2020, 2024);
}
BENCHMARK(BM_SinglePeriod500x360)->Unit(benchmark::kMillisecond);

void BM_SinglePeriodDaily200x10y(benchmark::State& state) {
  RunEndToEnd(state, {200, 3653, true, 2014, 11}, 2014, 2021, 2023);
}
BENCHMARK(BM_SinglePeriodDaily200x10y)->Unit(benchmark::kMillisecond);

// Walk-forward backtests in process, from a parsed CSV to the combined result.
void RunMultiPeriodBench(benchmark::State& state, const std::string& yaml) {
  const std::string csv = bench::MakeReturnsCsv({500, 360, false, 1995, 7});
  const AnalysisSettings settings = ParseConfig(yaml, "bench.yml", "").settings;
  const ReturnsFrame frame = ParseReturnsCsv(csv, "bench.csv");
  std::size_t periods = 0;
  for (auto _ : state) {
    const MultiPeriodResult result = AnalyseMultiPeriod(frame, settings, "bench.csv");
    periods = result.periods.size();
    benchmark::DoNotOptimize(result.summary.out_user.cagr);
  }
  state.counters["periods"] = static_cast<double>(periods);
}

void BM_MultiPeriodYearly27_500x360(benchmark::State& state) {
  RunMultiPeriodBench(state, bench::MakeMultiPeriodConfig("x.csv", 1995, 2024));
}
BENCHMARK(BM_MultiPeriodYearly27_500x360)->Unit(benchmark::kMillisecond);

void BM_ThresholdHoldQuarterly108_500x360(benchmark::State& state) {
  RunMultiPeriodBench(state, bench::MakeThresholdHoldConfig("x.csv", 1995, 2023));
}
BENCHMARK(BM_ThresholdHoldQuarterly108_500x360)->Unit(benchmark::kMillisecond);

void BM_ParseCsv500x360(benchmark::State& state) {
  const std::string csv = bench::MakeReturnsCsv({500, 360, false, 1995, 7});
  for (auto _ : state) benchmark::DoNotOptimize(ParseReturnsCsv(csv, "bench.csv"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * csv.size()));
}
BENCHMARK(BM_ParseCsv500x360)->Unit(benchmark::kMillisecond);

void BM_ParseCsvDaily200x10y(benchmark::State& state) {
  const std::string csv = bench::MakeReturnsCsv({200, 3653, true, 2014, 11});
  for (auto _ : state) benchmark::DoNotOptimize(ParseReturnsCsv(csv, "bench.csv"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * csv.size()));
}
BENCHMARK(BM_ParseCsvDaily200x10y)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace trend

BENCHMARK_MAIN();
