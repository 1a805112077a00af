// The named metrics that rank selection and the score frame compute per fund.
#pragma once

#include <vector>

#include "config/names.hpp"
#include "metrics/metrics.hpp"

namespace trend {

using ScoreMetric = Metric;

// Sharpe is measured against `sharpe_rf` when given (rf = 0 otherwise); Sortino and the
// information ratio are always measured against 0, as in the reference's score frame.
// AvgCorr is a property of the whole frame (spec §4.3, the score-frame variant): for each column
// the mean of its pairwise Pearson correlations (rows where both are present, at least 2) with
// the other columns, NaN correlations skipped; 0 with one column. Not available per column.
double EvaluateScoreMetric(ScoreMetric metric, const SeriesView& r, const SeriesView* sharpe_rf,
                           Eigen::VectorXd& scratch);

std::vector<double> AverageCorrelations(const Eigen::MatrixXd& frame);

// One metric for every column of `frame` (Sharpe against `sharpe_rf` when given).
std::vector<double> MetricAcrossColumns(ScoreMetric metric, const Eigen::MatrixXd& frame,
                                        const Eigen::VectorXd* sharpe_rf);

}  // namespace trend
