// Turns the documents of POST /api/v1/runs (the same as `trend run --json`) into what the page
// draws: chart series and table rows. No DOM here, so Node's test runner checks it.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.ReportView = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // {date: return} in date order -> growth of 1, starting from `start`.
  function growthSeries(returnsByDate, start = 1) {
    const dates = Object.keys(returnsByDate || {}).sort();
    const values = [];
    let level = start;
    for (const date of dates) {
      const r = returnsByDate[date];
      if (typeof r === "number" && Number.isFinite(r)) level *= 1 + r;
      values.push(level);
    }
    return { dates, values };
  }

  // Running peak-to-trough loss of a growth series, as a negative fraction.
  function drawdownSeries(values) {
    let peak = -Infinity;
    return values.map((v) => {
      peak = Math.max(peak, v);
      return peak > 0 ? v / peak - 1 : 0;
    });
  }

  const PERCENT = new Set(["cagr", "vol", "max_drawdown", "turnover", "transaction_cost"]);
  const METRICS = [
    ["cagr", "CAGR"],
    ["vol", "Volatility"],
    ["sharpe", "Sharpe"],
    ["sortino", "Sortino"],
    ["information_ratio", "Information ratio"],
    ["max_drawdown", "Max drawdown"],
  ];

  function formatMetric(name, value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "–";
    return PERCENT.has(name) ? (100 * value).toFixed(2) + "%" : value.toFixed(2);
  }

  // Rows of metric, in-sample user / EW, out-of-sample user / EW.
  function statsRows(result) {
    return METRICS.map(([key, label]) => [
      label,
      formatMetric(key, (result.in_user_stats || {})[key]),
      formatMetric(key, (result.in_ew_stats || {})[key]),
      formatMetric(key, (result.out_user_stats || {})[key]),
      formatMetric(key, (result.out_ew_stats || {})[key]),
    ]);
  }

  // One analysis: growth of 1 through in-sample then out-of-sample (chained), its drawdown,
  // and the portfolio's weights against equal weights.
  function singlePeriodView(result) {
    const returns = result.portfolio_returns || {};
    const inUser = growthSeries(returns.in_user);
    const inEw = growthSeries(returns.in_ew);
    const outUser = growthSeries(returns.out_user, inUser.values.at(-1) ?? 1);
    const outEw = growthSeries(returns.out_ew, inEw.values.at(-1) ?? 1);
    const user = inUser.values.concat(outUser.values);
    const funds = Object.keys(result.fund_weights || {});
    return {
      kind: "single",
      dates: inUser.dates.concat(outUser.dates),
      outOfSampleStart: outUser.dates[0] || null,
      growth: { user, ew: inEw.values.concat(outEw.values) },
      drawdown: drawdownSeries(user),
      weights: {
        funds,
        user: funds.map((f) => result.fund_weights[f]),
        ew: funds.map((f) => (result.ew_weights || {})[f] ?? null),
      },
      stats: statsRows(result),
    };
  }

  // A multi-period backtest: the chained equity curve, turnover and costs per period, and what
  // each manager contributed.
  function multiPeriodView(result) {
    const curve = result.equity_curve || [];
    const equity = curve.map((row) => row.equity);
    const execution = result.execution || [];
    const contributions = (result.manager_contribution || [])
      .slice()
      .sort((a, b) => (b.contribution ?? 0) - (a.contribution ?? 0));
    return {
      kind: "multi",
      dates: curve.map((row) => row.date),
      growth: { user: equity, ew: curve.map((row) => row.ew_equity) },
      drawdown: drawdownSeries(equity),
      periods: {
        labels: execution.map((row) => String(row.period)),
        turnover: execution.map((row) => row.turnover),
        cost: execution.map((row) => row.transaction_cost),
      },
      contributions: {
        managers: contributions.map((row) => row.manager),
        values: contributions.map((row) => row.contribution),
      },
      stats: statsRows(result.summary || {}),
      nPeriods: result.n_periods ?? execution.length,
    };
  }

  function view(result) {
    return Array.isArray(result.periods) ? multiPeriodView(result) : singlePeriodView(result);
  }

  return { growthSeries, drawdownSeries, formatMetric, statsRows, singlePeriodView, multiPeriodView, view };
});
