// The run guard: work limits refuse a run before the work that would exceed them, with the
// limit, the need and the flag in the message; a cancelled or expired guard stops a run at
// its next step or period, and neither turns into a skipped period.
#include "pipeline/run_guard.hpp"

#include <gtest/gtest.h>

#include "multiperiod/multi_period.hpp"
#include "test_inputs.hpp"

namespace trend {
namespace {

using testing::kSpecReturns;
using testing::SpecConfig;

AnalysisResult Guarded(const std::string& yaml, const RunGuard& guard) {
  const LoadedConfig config = ParseConfig(yaml, "test.yml", "");
  PipelineContext context;
  context.guard = &guard;
  return AnalyseReturns(ParseReturnsCsv(kSpecReturns, "test.csv"), config.settings, "test.csv",
                        context);
}

WorkLimits PairwiseLimit(std::size_t funds) {
  WorkLimits limits;
  limits.max_pairwise_funds = funds;
  return limits;
}

TEST(RunGuard, CovarianceEnginesAreBoundedByFunds) {
  const std::string erc =
      SpecConfig({{"portfolio", "{selection_mode: all, weighting_scheme: erc}"}});
  const RunGuard guard(PairwiseLimit(2));
  try {
    Guarded(erc, guard);
    FAIL() << "expected a work limit";
  } catch (const WorkLimitError& e) {
    EXPECT_EQ(e.limit(), "max_pairwise_funds");
    EXPECT_EQ(e.flag(), "--max-pairwise-funds");
    EXPECT_EQ(e.needed(), 3u);
    EXPECT_EQ(e.maximum(), 2u);
    EXPECT_STREQ(e.what(),
                 "portfolio.weighting_scheme = 'erc' (a covariance matrix): the funds compared "
                 "pairwise: 3 is over the work limit max_pairwise_funds = 2 (raise it with "
                 "--max-pairwise-funds N, or lift every limit with --no-limits)");
  }
  // Equal weights build no covariance matrix; three funds fit a limit of three.
  EXPECT_NO_THROW(Guarded(SpecConfig(), guard));
  EXPECT_NO_THROW(Guarded(erc, RunGuard(PairwiseLimit(3))));
  // Lifted limits: the same result as an unguarded run.
  const AnalysisResult lifted = Guarded(erc, RunGuard(WorkLimits::None()));
  EXPECT_EQ(lifted.fund_weights, testing::Analyse(kSpecReturns, erc).fund_weights);
}

TEST(RunGuard, AvgCorrIsBoundedLikeACovarianceMatrix) {
  const RunGuard guard(PairwiseLimit(2));
  EXPECT_THROW(Guarded(SpecConfig() + "metrics: {registry: [Sharpe, AvgCorr]}\n", guard),
               WorkLimitError);
  EXPECT_THROW(Guarded(SpecConfig({{"portfolio",
                                    "{selection_mode: rank, rank: {inclusion_approach: top_n, "
                                    "n: 1, score_by: AvgCorr}}"}}),
                       guard),
               WorkLimitError);
  EXPECT_NO_THROW(Guarded(SpecConfig() + "metrics: {registry: [Sharpe]}\n", guard));
}

TEST(RunGuard, CellsAreFundsTimesRows) {
  WorkLimits limits;
  limits.max_cells = 47;  // 4 columns x 12 rows = 48
  try {
    Guarded(SpecConfig(), RunGuard(limits));
    FAIL() << "expected a work limit";
  } catch (const WorkLimitError& e) {
    EXPECT_EQ(e.limit(), "max_cells");
    EXPECT_EQ(e.needed(), 48u);
  }
  limits.max_cells = 48;
  EXPECT_NO_THROW(Guarded(SpecConfig(), RunGuard(limits)));
}

TEST(RunGuard, CancelledOrExpiredRunsStop) {
  RunGuard cancelled;
  cancelled.Cancel("the server is shutting down");
  cancelled.Cancel("a later reason is not kept");
  try {
    Guarded(SpecConfig(), cancelled);
    FAIL() << "expected RunCancelled";
  } catch (const RunCancelled& e) {
    EXPECT_STREQ(e.what(), "the server is shutting down");
  }
  const RunGuard expired(WorkLimits{}, RunGuard::Clock::now() - std::chrono::milliseconds(1));
  EXPECT_THROW(Guarded(SpecConfig(), expired), RunCancelled);
  const RunGuard later(WorkLimits{}, RunGuard::Clock::now() + std::chrono::hours(1));
  EXPECT_NO_THROW(Guarded(SpecConfig(), later));
}

// Neither a cancellation nor a work limit is a period to skip: the whole run stops.
TEST(RunGuard, MultiPeriodRunsStopInsteadOfSkipping) {
  const std::string yaml =
      SpecConfig({{"portfolio", "{selection_mode: all, weighting_scheme: erc}"}}) +
      "multi_period: {frequency: M, in_sample_len: 3, out_sample_len: 1, start: 2020-01, "
      "end: 2020-12}\n";
  const LoadedConfig config = ParseConfig(yaml, "test.yml", "");
  const auto run = [&](const RunGuard& guard) {
    PipelineContext context;
    context.guard = &guard;
    return AnalyseMultiPeriod(ParseReturnsCsv(kSpecReturns, "test.csv"), config.settings,
                              "test.csv", context);
  };
  EXPECT_EQ(run(RunGuard()).periods.size(), 9u);
  RunGuard cancelled;
  cancelled.Cancel("stop");
  EXPECT_THROW(run(cancelled), RunCancelled);
  EXPECT_THROW(run(RunGuard(PairwiseLimit(2))), WorkLimitError);
  WorkLimits periods;
  periods.max_periods = 8;
  try {
    run(RunGuard(periods));
    FAIL() << "expected a work limit";
  } catch (const WorkLimitError& e) {
    EXPECT_EQ(e.limit(), "max_periods");
    EXPECT_EQ(e.needed(), 9u);
  }
}

}  // namespace
}  // namespace trend
