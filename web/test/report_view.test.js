// node --test web/test: the page's data transforms on real `trend run --json` documents
// (written by the C++ test that runs this, or by hand: see tests/CMakeLists.txt).
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const RV = require("../report_view.js");

test("growth of 1 compounds returns in date order", () => {
  const g = RV.growthSeries({ "2020-02-29": -0.5, "2020-01-31": 1.0 });
  assert.deepEqual(g.dates, ["2020-01-31", "2020-02-29"]);
  assert.deepEqual(g.values, [2, 1]);
  assert.deepEqual(RV.growthSeries({ a: 0.1 }, 2).values, [2.2]);
});

test("a missing return leaves the level unchanged", () => {
  assert.deepEqual(RV.growthSeries({ a: 0.1, b: null, c: 0.0 }).values.map((v) => +v.toFixed(6)), [1.1, 1.1, 1.1]);
});

test("drawdown is the loss from the running peak", () => {
  assert.deepEqual(RV.drawdownSeries([1, 2, 1, 3]), [0, 0, -0.5, 0]);
});

test("metrics are formatted as percentages or ratios, missing as a dash", () => {
  assert.equal(RV.formatMetric("cagr", 0.1234), "12.34%");
  assert.equal(RV.formatMetric("sharpe", 1.234), "1.23");
  assert.equal(RV.formatMetric("sortino", null), "–");
});

const documents = process.env.TREND_RUN_JSON_DIR;

test("a single-period document: chained growth, weights, stats", { skip: !documents }, () => {
  const result = JSON.parse(fs.readFileSync(path.join(documents, "single.json"), "utf8"));
  const v = RV.view(result);
  assert.equal(v.kind, "single");
  const nIn = Object.keys(result.portfolio_returns.in_user).length;
  const nOut = Object.keys(result.portfolio_returns.out_user).length;
  assert.equal(v.dates.length, nIn + nOut);
  assert.equal(v.outOfSampleStart, result.out_sample_dates[0]);
  // The out-of-sample growth compounds to the out-of-sample total return.
  const outTotal = Object.values(result.portfolio_returns.out_user).reduce((g, r) => g * (1 + r), 1);
  assert.ok(Math.abs(v.growth.user.at(-1) / v.growth.user[nIn - 1] - outTotal) < 1e-12);
  assert.deepEqual(v.weights.funds, Object.keys(result.fund_weights));
  assert.ok(Math.abs(v.weights.user.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.equal(v.stats.length, 6);
  assert.equal(v.stats[0][3], RV.formatMetric("cagr", result.out_user_stats.cagr));
});

test("a multi-period document: equity curve, periods, contributions", { skip: !documents }, () => {
  const result = JSON.parse(fs.readFileSync(path.join(documents, "multi.json"), "utf8"));
  const v = RV.view(result);
  assert.equal(v.kind, "multi");
  assert.equal(v.dates.length, result.equity_curve.length);
  assert.equal(v.periods.labels.length, result.execution.length);
  assert.equal(v.contributions.managers.length, result.manager_contribution.length);
  for (let i = 1; i < v.contributions.values.length; ++i) {
    assert.ok(v.contributions.values[i - 1] >= v.contributions.values[i]);
  }
  assert.ok(v.drawdown.every((d) => d <= 0));
});

test("a sweep's rows are ranked by out-of-sample Sharpe, failures counted", () => {
  const jsonl = [
    { index: 0, params: { "portfolio.rank.n": "2" }, status: "ok", sharpe: 0.5, cagr: 0.1, vol: 0.2, max_drawdown: -0.3 },
    { index: 1, params: { "portfolio.rank.n": "4" }, status: "error", error: "bad" },
    { index: 2, params: { "portfolio.rank.n": "6" }, status: "ok", sharpe: 1.5, cagr: 0.2, vol: 0.1, max_drawdown: -0.1 },
    { index: 3, params: { "portfolio.rank.n": "8" }, status: "ok", sharpe: null, cagr: null, vol: null, max_drawdown: null },
  ].map((r) => JSON.stringify(r)).join("\n") + "\n";
  const v = RV.sweepView(jsonl, 1);
  assert.equal(v.total, 4);
  assert.equal(v.failed, 1);
  assert.deepEqual(v.header, ["#", "portfolio.rank.n", "Sharpe", "CAGR", "Volatility", "Max drawdown"]);
  assert.deepEqual(v.rows, [["2", "6", "1.50", "20.00%", "10.00%", "-10.00%"]]);
});

test("a job's state reads as a sentence with its progress", () => {
  const job = (state, done, total, extra = {}) => ({ state, progress: { done, total, unit: "periods" }, ...extra });
  assert.equal(RV.jobStatusText(job("PENDING", 0, 0)), "Waiting for a free worker…");
  assert.equal(RV.jobStatusText(job("STARTED", 3, 24)), "Running: 3 of 24 periods");
  assert.equal(RV.jobStatusText(job("SUCCESS", 24, 24)), "Done: 24 of 24 periods");
  assert.equal(RV.jobStatusText(job("REVOKED", 5, 24)), "Cancelled after 5 of 24 periods");
  assert.equal(RV.jobStatusText(job("FAILURE", 0, 0, { error: { message: "config: x" } })), "Failed: config: x");
});
