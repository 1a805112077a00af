// The config as a form: fields made from the config schema (GET /api/v1/config/schema, the one
// schema the engine parses with), read from and written to a plain config object, which is
// also what the YAML editor shows. No DOM here, so Node's test runner checks it; app.js draws.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.ConfigForm = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // Sections in the order an analyst sets them up; the rest follow in schema order.
  const SECTION_ORDER = ["data", "sample_split", "portfolio", "vol_adjust", "multi_period", "benchmarks", "regime", "metrics", "signals", "run", "seed"];
  const SECTION_TITLES = {
    data: "Data",
    sample_split: "In-sample and out-of-sample windows",
    portfolio: "Selection and weighting",
    vol_adjust: "Volatility targeting",
    multi_period: "Multi-period backtest",
    benchmarks: "Benchmarks",
    regime: "Market regimes",
    metrics: "Score metrics",
    signals: "Trend signal",
    run: "Costs",
    seed: "Random seed",
  };
  // Keys the page does not offer: files and databases on the server, where exports go, and
  // the reference's bookkeeping. The YAML editor still takes them.
  const HIDDEN = [/^data\.(csv_path|source|table|stream|universe_membership_path|as_of_date|nan_)/, /^export\b/, /^output\b/, /^version$/, /^checkpoint_dir$/];

  // Fields whose values are column names of the dataset.
  const COLUMN_FIELDS = {
    "data.date_column": "column",
    "data.risk_free_column": "column",
    "regime.proxy": "column",
    "portfolio.indices_list": "columns",
    "portfolio.manual_list": "columns",
    benchmarks: "benchmarks",
  };
  // Fields that are months within the data's range.
  const MONTH_FIELDS = new Set(["sample_split.in_start", "sample_split.in_end", "sample_split.out_start", "sample_split.out_end", "sample_split.date", "multi_period.start", "multi_period.end"]);
  // Units a number is given in: the schema has the bounds, the page says what 0.1 means.
  const UNITS = {
    "vol_adjust.target_vol": "annualised, as a fraction (0.10 = 10%)",
    "vol_adjust.floor_vol": "annualised, as a fraction",
    "vol_adjust.window.length": "months (rows of the in-sample window)",
    "vol_adjust.warmup_periods": "rows",
    "portfolio.transaction_cost_bps": "basis points per unit of turnover",
    "portfolio.constraints.max_weight": "fraction of the portfolio (0.25 = 25%)",
    "portfolio.constraints.min_weight": "fraction of the portfolio",
    "portfolio.rank.pct": "fraction of the funds",
    "portfolio.max_turnover": "sum of |weight changes|",
    "multi_period.in_sample_len": "units of multi_period.frequency",
    "multi_period.out_sample_len": "units of multi_period.frequency",
    "run.monthly_cost": "fraction per month",
    "regime.lookback": "rows",
    "signals.window": "rows",
  };
  // Choices the schema leaves open (plugins may add more): the built-in ones.
  const SUGGESTIONS = {
    "portfolio.selection_mode": ["rank", "all", "random", "manual"],
    "portfolio.weighting_scheme": ["equal", "risk_parity", "hrp", "erc", "robust_mv", "robust_risk_parity"],
    "portfolio.policy": ["default", "threshold_hold"],
    "sample_split.method": ["date", "ratio"],
    "data.missing_policy": ["drop", "ffill", "zero"],
    "preprocessing.missing_data.policy": ["drop", "ffill", "zero"],
  };

  function typesOf(node) {
    const t = node.type;
    return (Array.isArray(t) ? t : t ? [t] : []).filter((x) => x !== "null");
  }

  function isAlias(node) {
    return /^(Other|Legacy) name of/.test(node.description || "");
  }

  function kindOf(path, node) {
    if (COLUMN_FIELDS[path]) return COLUMN_FIELDS[path];
    if (MONTH_FIELDS.has(path)) return "month";
    const types = typesOf(node);
    if (node.enum || SUGGESTIONS[path]) return "enum";
    if (types.includes("boolean")) return "boolean";
    if (types.includes("integer")) return "integer";
    if (types.includes("number")) return "number";
    if (types.includes("array")) return "list";
    if (types.includes("object")) return "map";
    if (types.includes("string")) return "string";
    return null;  // not read by the engine: left to the YAML editor
  }

  // Schema -> [{key, title, description, fields: [{path, label, kind, ...}]}].
  function sectionsOf(schema) {
    const sections = [];
    const props = (schema && schema.properties) || {};
    const keys = Object.keys(props).sort((a, b) => {
      const ia = SECTION_ORDER.indexOf(a), ib = SECTION_ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
    for (const key of keys) {
      const fields = [];
      collect(key, props[key], fields);
      if (fields.length) sections.push({ key, title: SECTION_TITLES[key] || key, description: props[key].description || "", fields });
    }
    return sections;
  }

  function collect(path, node, out) {
    if (HIDDEN.some((re) => re.test(path)) || isAlias(node)) return;
    const types = typesOf(node);
    if (types.includes("object") && node.properties && !COLUMN_FIELDS[path]) {
      for (const [k, child] of Object.entries(node.properties)) collect(`${path}.${k}`, child, out);
      return;
    }
    const kind = kindOf(path, node);
    if (!kind) return;
    out.push({
      path,
      label: path.split(".").slice(-1)[0].replace(/_/g, " "),
      kind,
      choices: node.enum ? node.enum.filter((v) => v !== null) : SUGGESTIONS[path] || null,
      minimum: node.minimum ?? null,
      maximum: node.maximum ?? null,
      exclusiveMinimum: node.exclusiveMinimum ?? null,
      description: node.description || "",
      defaultText: node["x-default"] ?? null,
      needs: node["x-needs"] || [],
      unit: UNITS[path] || "",
    });
  }

  function getPath(obj, path) {
    let node = obj;
    for (const key of path.split(".")) {
      if (node === null || typeof node !== "object" || !(key in node)) return undefined;
      node = node[key];
    }
    return node;
  }

  // Sets a dotted path; undefined removes it, and with it parents left empty (so clearing a
  // field leaves the config as if it had never been set).
  function setPath(obj, path, value) {
    const keys = path.split(".");
    const trail = [obj];
    let node = obj;
    for (const key of keys.slice(0, -1)) {
      if (node[key] === null || typeof node[key] !== "object" || Array.isArray(node[key])) {
        if (value === undefined) return obj;
        node[key] = {};
      }
      node = node[key];
      trail.push(node);
    }
    const last = keys[keys.length - 1];
    if (value === undefined) delete node[last];
    else node[last] = value;
    for (let i = keys.length - 2; i >= 0 && value === undefined; --i) {
      if (Object.keys(trail[i + 1]).length) break;
      delete trail[i][keys[i]];
    }
    return obj;
  }

  // The text of an input -> the config's value (undefined for empty), or {error}.
  function parseInput(field, text) {
    const t = String(text ?? "").trim();
    if (t === "") return { value: undefined };
    switch (field.kind) {
      case "integer": {
        if (!/^-?\d+$/.test(t)) return { error: `${field.path} = '${t}': expected a whole number` };
        return checkBounds(field, Number(t));
      }
      case "number": {
        const v = Number(t);
        if (!Number.isFinite(v)) return { error: `${field.path} = '${t}': expected a number` };
        return checkBounds(field, v);
      }
      case "boolean":
        return { value: t === "true" };
      case "list":
      case "columns":
        return { value: t.split(",").map((s) => s.trim()).filter(Boolean) };
      default:
        return { value: t };
    }
  }

  // The bounds the engine checks, said as the CLI says them.
  function checkBounds(field, v) {
    const low = field.minimum ?? field.exclusiveMinimum;
    const high = field.maximum;
    const tooLow = field.minimum !== null ? v < field.minimum : field.exclusiveMinimum !== null && v <= field.exclusiveMinimum;
    const tooHigh = high !== null && v > high;
    if (tooLow || tooHigh) {
      const open = field.minimum === null && field.exclusiveMinimum !== null ? "(" : "[";
      return { error: `${field.path} = '${v}': expected a value in ${open}${low ?? "-inf"}, ${high ?? "inf"}]` };
    }
    return { value: v };
  }

  // The config value -> the text an input shows.
  function formatValue(field, value) {
    if (value === undefined || value === null) return "";
    if (Array.isArray(value)) return value.join(", ");
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  // Whether a field has an effect, from its x-needs: [{key, needs}] (e.g. the EWMA lambda
  // needs vol_adjust.window.decay: ewma). Unset keys count as their documented default.
  function isActive(field, config, sections) {
    return field.needs.every(({ key, needs }) => {
      let v = getPath(config, key);
      if (v === undefined) {
        const other = sections && findField(sections, key);
        v = other ? other.defaultText : undefined;
      }
      return String(v) === String(needs);
    });
  }

  function findField(sections, path) {
    for (const s of sections) for (const f of s.fields) if (f.path === path) return f;
    return null;
  }

  function isPlainObject(v) {
    return v !== null && typeof v === "object" && !Array.isArray(v);
  }

  // A preset over a config: nested maps merge, anything else is replaced.
  function mergeConfig(base, overlay) {
    const out = structuredClone(base || {});
    for (const [k, v] of Object.entries(overlay || {})) {
      out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeConfig(out[k], v) : structuredClone(v);
    }
    return out;
  }

  // {a: {b: 1}} -> {"a.b": 1}: lists and scalars are leaves.
  function flatten(obj, prefix = "", out = {}) {
    for (const [k, v] of Object.entries(obj || {})) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (isPlainObject(v) && Object.keys(v).length) flatten(v, path, out);
      else out[path] = v;
    }
    return out;
  }

  // The keys whose values differ between two configs, sorted: [{path, left, right}].
  function configDiff(left, right) {
    const a = flatten(left), b = flatten(right);
    const paths = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return paths
      .filter((p) => JSON.stringify(a[p]) !== JSON.stringify(b[p]))
      .map((p) => ({ path: p, left: a[p], right: b[p] }));
  }

  // The months of a dataset (GET /api/v1/datasets/{id}: first and last dates) as YYYY-MM.
  function monthRange(dataset) {
    const first = String((dataset && (dataset.first_date || (dataset.dates || [])[0])) || "").slice(0, 7);
    const last = String((dataset && (dataset.last_date || (dataset.dates || []).slice(-1)[0])) || "").slice(0, 7);
    return { min: first, max: last };
  }

  return { sectionsOf, getPath, setPath, parseInput, formatValue, isActive, findField, mergeConfig, flatten, configDiff, monthRange, COLUMN_FIELDS };
});
