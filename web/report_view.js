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
    if (name === "max_drawdown") return formatDrawdown(value);
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


  // Annualised Sharpe of each trailing `window` months (rf = 0), null before the first full
  // window: the page's rolling 12-month Sharpe.
  function rollingSharpe(returns, window = 12) {
    return returns.map((_, i) => {
      if (i + 1 < window) return null;
      const slice = returns.slice(i + 1 - window, i + 1).filter((r) => Number.isFinite(r));
      if (slice.length < 2) return null;
      const mean = slice.reduce((a, b) => a + b, 0) / slice.length;
      const variance = slice.reduce((a, b) => a + (b - mean) ** 2, 0) / (slice.length - 1);
      return variance > 0 ? (mean / Math.sqrt(variance)) * Math.sqrt(12) : null;
    });
  }

  // Growth of 1 -> the returns that made it (the first from 1).
  function returnsOf(growth) {
    return growth.map((g, i) => g / (i ? growth[i - 1] : 1) - 1);
  }

  // Drawdowns are losses: shown negative in charts and tables alike.
  function formatDrawdown(value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "–";
    return (value === 0 ? "0.00" : (-100 * Math.abs(value)).toFixed(2)) + "%";
  }

  // Per fund: weight, in- and out-of-sample statistics (a single analysis, or a backtest's
  // summary with average weights). Rows carry raw numbers, so the table can sort them.
  const FUND_COLUMNS = [
    ["weight", "Weight", "percent"],
    ["in_cagr", "IS CAGR", "percent"], ["in_sharpe", "IS Sharpe", "ratio"], ["in_max_drawdown", "IS max drawdown", "drawdown"],
    ["out_cagr", "OOS CAGR", "percent"], ["out_vol", "OOS vol", "percent"], ["out_sharpe", "OOS Sharpe", "ratio"], ["out_max_drawdown", "OOS max drawdown", "drawdown"],
  ];
  function fundRows(result) {
    const source = Array.isArray(result.periods) ? result.summary || {} : result;
    const weights = source.fund_weights || {};
    const inStats = source.in_sample_stats || {}, outStats = source.out_sample_stats || {};
    return Object.keys(weights).map((fund) => {
      const i = inStats[fund] || {}, o = outStats[fund] || {};
      return { fund, weight: weights[fund], in_cagr: i.cagr, in_sharpe: i.sharpe, in_max_drawdown: i.max_drawdown, out_cagr: o.cagr, out_vol: o.vol, out_sharpe: o.sharpe, out_max_drawdown: o.max_drawdown };
    });
  }
  function formatCell(kind, value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "–";
    if (kind === "percent") return (100 * value).toFixed(2) + "%";
    if (kind === "drawdown") return formatDrawdown(value);
    return value.toFixed(2);
  }
  function sortRows(rows, key, descending) {
    return rows.slice().sort((a, b) => {
      const x = a[key], y = b[key];
      if (typeof x === "string" || typeof y === "string") return descending ? String(y).localeCompare(String(x)) : String(x).localeCompare(String(y));
      const fx = Number.isFinite(x) ? x : -Infinity, fy = Number.isFinite(y) ? y : -Infinity;
      return descending ? fy - fx : fx - fy;
    });
  }

  // A backtest's periods: one row each, and who came and went. The threshold-hold policy
  // records its changes with reasons; the default path's are read off the selections.
  function periodRows(result) {
    return (result.periods || []).map((p) => ({
      inSample: `${String(p.period[0]).slice(0, 7)} → ${String(p.period[1]).slice(0, 7)}`,
      outSample: `${String(p.period[2]).slice(0, 7)} → ${String(p.period[3]).slice(0, 7)}`,
      funds: (p.selected_funds || []).length,
      turnover: p.turnover,
      cost: p.transaction_cost,
      cagr: (p.out_user_stats || {}).cagr,
      sharpe: (p.out_user_stats || {}).sharpe,
      maxDrawdown: (p.out_user_stats || {}).max_drawdown,
    }));
  }
  function managerChanges(result) {
    const out = [];
    let previous = null;
    for (const p of result.periods || []) {
      const when = String(p.period[2]).slice(0, 7);
      if ((p.manager_changes || []).length) {
        for (const c of p.manager_changes) out.push({ when, action: c.action, manager: c.manager, reason: c.reason || "" });
      } else if (previous) {
        const now = new Set(p.selected_funds || []);
        for (const f of p.selected_funds || []) if (!previous.has(f)) out.push({ when, action: "added", manager: f, reason: "rebalance" });
        for (const f of previous) if (!now.has(f)) out.push({ when, action: "dropped", manager: f, reason: "rebalance" });
      } else {
        for (const f of p.selected_funds || []) out.push({ when, action: "added", manager: f, reason: "seed" });
      }
      previous = new Set(p.selected_funds || []);
    }
    return out;
  }
  // Weights per period for the `top` funds by average weight, the rest as one band.
  function weightsOverTime(result, top = 10) {
    const periods = result.periods || [];
    const byFund = {};
    periods.forEach((p, k) => {
      for (const [fund, w] of Object.entries(p.fund_weights || {})) {
        (byFund[fund] ||= new Array(periods.length).fill(0))[k] = w;
      }
    });
    const ranked = Object.keys(byFund).sort((a, b) => byFund[b].reduce((x, y) => x + y, 0) - byFund[a].reduce((x, y) => x + y, 0));
    const bands = ranked.slice(0, top).map((fund) => ({ label: fund, values: byFund[fund] }));
    if (ranked.length > top) {
      const other = new Array(periods.length).fill(0);
      for (const fund of ranked.slice(top)) byFund[fund].forEach((w, k) => (other[k] += w));
      bands.push({ label: `${ranked.length - top} others`, values: other });
    }
    return { labels: periods.map((p) => String(p.period[2]).slice(0, 7)), bands };
  }
  // The best and worst `n` contributors: readable with hundreds of managers.
  function topBottom(rows, n = 10) {
    const sorted = rows.slice().sort((a, b) => (b.contribution ?? 0) - (a.contribution ?? 0));
    if (sorted.length <= 2 * n) return { rows: sorted, hidden: 0 };
    return { rows: sorted.slice(0, n).concat(sorted.slice(-n)), hidden: sorted.length - 2 * n };
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

  return {
    growthSeries, drawdownSeries, formatMetric, formatDrawdown, statsRows, singlePeriodView, multiPeriodView, sweepView, jobStatusText, view,
    rollingSharpe, returnsOf, FUND_COLUMNS, fundRows, formatCell, sortRows, periodRows, managerChanges, weightsOverTime, topBottom,
  };
});
