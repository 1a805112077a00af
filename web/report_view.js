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

  // A sweep's results.jsonl (GET /api/v1/jobs/{id}/result) -> the `top` configurations by
  // out-of-sample Sharpe: a header (the swept keys, then the statistics) and formatted rows.
  function sweepView(jsonl, top = 20) {
    const rows = jsonl.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line));
    const keys = rows.length ? Object.keys(rows[0].params) : [];
    const ok = rows.filter((r) => r.status === "ok" && Number.isFinite(r.sharpe));
    ok.sort((a, b) => b.sharpe - a.sharpe || a.index - b.index);
    const stats = [["sharpe", "Sharpe"], ["cagr", "CAGR"], ["vol", "Volatility"], ["max_drawdown", "Max drawdown"]];
    return {
      total: rows.length,
      failed: rows.filter((r) => r.status !== "ok").length,
      header: ["#"].concat(keys, stats.map(([, label]) => label)),
      rows: ok.slice(0, top).map((r) => [String(r.index)].concat(keys.map((k) => r.params[k]), stats.map(([key]) => formatMetric(key, r[key])))),
    };
  }

  // A job of GET /api/v1/jobs/{id} -> the line under its progress bar.
  function jobStatusText(job) {
    const p = job.progress || {};
    const counted = p.total ? `${p.done} of ${p.total} ${p.unit}` : "";
    switch (job.state) {
      case "PENDING": return "Waiting for a free worker…";
      case "STARTED": return counted ? `Running: ${counted}` : "Running…";
      case "SUCCESS": return counted ? `Done: ${counted}` : "Done.";
      case "REVOKED": return counted ? `Cancelled after ${counted}` : "Cancelled.";
      case "FAILURE": return `Failed: ${(job.error || {}).message || "unknown error"}`;
      default: return job.state;
    }
  }

  function view(result) {
    return Array.isArray(result.periods) ? multiPeriodView(result) : singlePeriodView(result);
  }

  return { growthSeries, drawdownSeries, formatMetric, statsRows, singlePeriodView, multiPeriodView, sweepView, jobStatusText, view };
});
