#include "multiperiod/schedule.hpp"

#include <fmt/format.h>

#include "error/input_error.hpp"

namespace trend {

std::vector<Period> GeneratePeriods(const MultiPeriodSettings& settings, int first_month,
                                    int last_month) {
  const int step = MonthsPerPeriod(settings.frequency);
  if (settings.in_sample_len < 1) {
    throw InputError(fmt::format("multi_period.in_sample_len = {}: expected at least 1",
                                 settings.in_sample_len));
  }
  if (settings.out_sample_len < 1) {
    throw InputError(fmt::format("multi_period.out_sample_len = {}: expected at least 1",
                                 settings.out_sample_len));
  }
  // A month label names the period (month, quarter or year) that contains it.
  const auto period_start = [step](int month) { return month - month % step; };
  const int start = period_start(settings.start_month.value_or(first_month));
  const int end = period_start(settings.end_month.value_or(last_month)) + step - 1;
  if (settings.start_month && settings.end_month && end < start) {
    throw InputError("multi_period: end comes before start");
  }
  const int in_months = settings.in_sample_len * step;
  const int out_months = settings.out_sample_len * step;
  std::vector<Period> periods;
  for (int in_start = start;; in_start += out_months) {
    Period p;
    p.in_start = in_start;
    p.in_end = in_start + in_months - 1;
    p.out_start = p.in_end + 1;
    p.out_end = p.out_start + out_months - 1;
    if (p.out_end > end) break;
    periods.push_back(p);
  }
  return periods;
}

std::vector<std::string> PeriodDates(const Period& period) {
  return {FormatDate(MonthStartFromIndex(period.in_start)),
          FormatDate(MonthEndFromIndex(period.in_end)),
          FormatDate(MonthStartFromIndex(period.out_start)),
          FormatDate(MonthEndFromIndex(period.out_end))};
}

}  // namespace trend
