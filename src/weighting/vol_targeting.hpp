// Volatility targeting: realised volatility at the last in-sample row and the scale factors
// target_vol / max(sigma, floor) (spec §6.2-§6.3).
#pragma once

#include <Eigen/Core>

#include "config/settings.hpp"

namespace trend {

// Annualised realised volatility of `series` at its last row: rolling population std over the
// last `window` rows (simple) or the bias-corrected EWMA std (pandas ewm(adjust=False)), times
// sqrt(ppy). NaN when undefined.
double RealisedVolatilityLast(const Eigen::Ref<const Eigen::VectorXd>& series,
                              const VolAdjustSettings& settings, double ppy = 12.0);

// Scale factor per fund from its realised vol: 0 vol counts as missing; the floor applies;
// non-finite factors become 0 (the reference's main path).
double ScaleFactorFromVol(double vol, const VolAdjustSettings& settings);

}  // namespace trend
