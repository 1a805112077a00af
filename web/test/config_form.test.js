// node --test web/test: the form's schema handling on the schema the server serves (written by
// web_page_test.sh as TREND_SCHEMA_JSON), and the pure helpers on small inputs.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const CF = require("../config_form.js");
const RV = require("../report_view.js");

test("setPath writes nested keys and clearing prunes empty parents", () => {
  const c = {};
  CF.setPath(c, "portfolio.rank.n", 8);
  assert.deepEqual(c, { portfolio: { rank: { n: 8 } } });
  CF.setPath(c, "portfolio.rank.n", undefined);
  assert.deepEqual(c, {});
  assert.equal(CF.getPath({ a: { b: 0 } }, "a.b"), 0);
  assert.equal(CF.getPath({ a: 1 }, "a.b"), undefined);
});

test("inputs parse to typed values, with the CLI's bound messages", () => {
  const n = { path: "portfolio.rank.n", kind: "integer", minimum: 1, maximum: 100000, exclusiveMinimum: null };
  assert.deepEqual(CF.parseInput(n, "8"), { value: 8 });
  assert.deepEqual(CF.parseInput(n, ""), { value: undefined });
  assert.equal(CF.parseInput(n, "0").error, "portfolio.rank.n = '0': expected a value in [1, 100000]");
  assert.match(CF.parseInput(n, "2.5").error, /whole number/);
  const vol = { path: "vol_adjust.target_vol", kind: "number", minimum: null, maximum: 100, exclusiveMinimum: 0 };
  assert.equal(CF.parseInput(vol, "0").error, "vol_adjust.target_vol = '0': expected a value in (0, 100]");
  assert.deepEqual(CF.parseInput({ kind: "columns" }, "A, B,"), { value: ["A", "B"] });
});

test("a preset merges over the config: maps merge, lists and scalars are replaced", () => {
  const base = { portfolio: { rank: { n: 5, score_by: "Sharpe" }, indices_list: ["X"] }, data: { risk_free_column: "RF" } };
  const merged = CF.mergeConfig(base, { portfolio: { rank: { n: 10 }, indices_list: ["Y"] } });
  assert.deepEqual(merged, { portfolio: { rank: { n: 10, score_by: "Sharpe" }, indices_list: ["Y"] }, data: { risk_free_column: "RF" } });
  assert.equal(base.portfolio.rank.n, 5, "the base is not changed");
});

test("configDiff lists the keys that differ, by dotted path", () => {
  const diff = CF.configDiff({ a: { b: 1, c: [1] }, d: 1 }, { a: { b: 2, c: [1] }, e: 3 });
  assert.deepEqual(diff, [
    { path: "a.b", left: 1, right: 2 },
    { path: "d", left: 1, right: undefined },
    { path: "e", left: undefined, right: 3 },
  ]);
});

test("x-needs dims keys that have no effect", () => {
  const lambda = { needs: [{ key: "vol_adjust.window.decay", needs: "ewma" }] };
  assert.equal(CF.isActive(lambda, { vol_adjust: { window: { decay: "ewma" } } }), true);
  assert.equal(CF.isActive(lambda, {}), false);
});

test("rolling Sharpe is empty before a full window and annualised after", () => {
  const r = RV.rollingSharpe([0.01, 0.02, 0.03], 2);
  assert.equal(r[0], null);
  const expected = (0.015 / Math.sqrt(0.00005)) * Math.sqrt(12);
  assert.ok(Math.abs(r[1] - expected) < 1e-12);
  assert.equal(RV.formatDrawdown(0.1234), "-12.34%");
  assert.equal(RV.formatMetric("max_drawdown", 0.05), "-5.00%");
});

test("top and bottom contributors keep a long list readable", () => {
  const rows = Array.from({ length: 500 }, (_, i) => ({ manager: `M${i}`, contribution: i }));
  const tb = RV.topBottom(rows, 10);
  assert.equal(tb.rows.length, 20);
  assert.equal(tb.hidden, 480);
  assert.equal(tb.rows[0].manager, "M499");
  assert.equal(tb.rows[19].manager, "M0");
});

test("manager changes are read off the selections when the policy records none", () => {
  const periods = [
    { period: ["a", "b", "2001-01-01", "c"], selected_funds: ["A", "B"], manager_changes: [] },
    { period: ["a", "b", "2002-01-01", "c"], selected_funds: ["B", "C"], manager_changes: [] },
  ];
  assert.deepEqual(RV.managerChanges({ periods }).map((c) => `${c.when} ${c.action} ${c.manager}`), [
    "2001-01 added A", "2001-01 added B", "2002-01 added C", "2002-01 dropped A",
  ]);
});

const schemaFile = process.env.TREND_SCHEMA_JSON;
test("the form is made from the server's schema", { skip: !schemaFile && "TREND_SCHEMA_JSON not set" }, () => {
  const sections = CF.sectionsOf(JSON.parse(fs.readFileSync(schemaFile, "utf8")));
  const keys = sections.map((s) => s.key);
  assert.deepEqual(keys.slice(0, 5), ["data", "sample_split", "portfolio", "vol_adjust", "multi_period"]);
  const field = (path) => CF.findField(sections, path);
  assert.equal(field("portfolio.rank.inclusion_approach").kind, "enum");
  assert.deepEqual(field("portfolio.rank.inclusion_approach").choices, ["top_n", "top_pct", "threshold"]);
  assert.equal(field("vol_adjust.target_vol").kind, "number");
  assert.match(field("vol_adjust.target_vol").unit, /annualised/);
  assert.equal(field("portfolio.rank.n").minimum, 1);
  assert.equal(field("data.risk_free_column").kind, "column");
  assert.equal(field("benchmarks").kind, "benchmarks");
  assert.equal(field("multi_period.start").kind, "month");
  assert.equal(field("data.csv_path"), null, "server-side files are not in the form");
  assert.equal(field("vol_adjust.window.ewma_lambda"), null, "aliases are not in the form");
  assert.ok(field("vol_adjust.window.lambda").needs.length > 0);
});
