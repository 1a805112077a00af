// The page of `trend app`: pick or upload returns, set up the config in a form made from the
// config schema (kept in sync with the YAML editor), run it through the JSON API, read the
// result as charts and tables, download it, find it again in the history and compare runs.
// Data shaping lives in report_view.js and config_form.js; this file is DOM and fetch.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const V = ReportView;
  const F = ConfigForm;
  const charts = {};
  const state = {
    config: {},          // the config the form and the editor show
    sections: [],        // the form's fields, from the schema
    dataset: null,       // GET /api/v1/datasets/{id}
    datasetName: "",
    runId: null,         // the run shown, for downloads
    historyOffset: 0,
  };
  const HISTORY_PAGE = 10;

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
    if (message) document.body.dataset.error = message;
    else delete document.body.dataset.error;
  }

  async function apiError(response) {
    try {
      const body = await response.json();
      return `${response.status} ${body.error}: ${body.detail}`;
    } catch (_) {
      return `${response.status} ${response.statusText}`;
    }
  }

  // The API, with the access token when the server wants one (trend app --token).
  async function api(url, options = {}) {
    const token = sessionStorage.getItem("trendToken");
    const headers = { ...(options.headers || {}) };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(url, { ...options, headers });
    if (response.status === 401) $("auth").hidden = false;
    return response;
  }
  async function apiJson(url, options) {
    const response = await api(url, options);
    if (!response.ok) throw new Error(await apiError(response));
    return response.json();
  }
  const postJson = (url, body) => apiJson(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  async function fetchText(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(await apiError(response));
    return response.text();
  }
  $("token").value = sessionStorage.getItem("trendToken") || "";
  $("token").addEventListener("change", () => sessionStorage.setItem("trendToken", $("token").value.trim()));

  // ---- Config: one object, shown as a form and as YAML -------------------------------------

  const isMulti = () => $("mode").value === "multi";
  function setMode(multi) {
    $("mode").value = multi ? "multi" : "single";
    $("multi").checked = multi;
  }

  // YAML 1.2's core types: a date stays the text it was (js-yaml's default makes a Date).
  const loadYaml = (text) => jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
  function configText() {
    return jsyaml.dump(state.config, { lineWidth: 100, noRefs: true, schema: jsyaml.CORE_SCHEMA });
  }

  // The whole config replaced (a preset, a sample, a restored run): both views redrawn.
  function setConfig(config, text) {
    state.config = config && typeof config === "object" ? config : {};
    $("config").value = text ?? configText();
    renderFormValues();
    scheduleValidation();
  }

  function fieldInput(field) {
    const id = `f-${field.path}`;
    const columns = (state.dataset && state.dataset.columns) || [];
    let input;
    if (field.kind === "enum" || field.kind === "boolean" || field.kind === "column") {
      input = document.createElement("select");
      const options = field.kind === "boolean" ? ["true", "false"] : field.kind === "column" ? (field.path === "data.date_column" ? ["Date"] : []).concat(columns) : field.choices;
      input.append(new Option(field.defaultText !== null ? `(default: ${field.defaultText})` : "(not set)", ""));
      for (const choice of options) input.append(new Option(choice, choice));
    } else if (field.kind === "columns") {
      input = document.createElement("select");
      input.multiple = true;
      input.size = Math.min(6, Math.max(2, columns.length));
      for (const c of columns) input.append(new Option(c, c));
    } else if (field.kind === "benchmarks") {
      input = document.createElement("select");
      input.multiple = true;
      input.size = Math.min(6, Math.max(2, columns.length));
      for (const c of columns) input.append(new Option(c, c));
    } else {
      input = document.createElement("input");
      if (field.kind === "month") {
        input.type = "month";
        const range = F.monthRange(state.dataset);
        if (range.min) input.min = range.min;
        if (range.max) input.max = range.max;
      } else if (field.kind === "integer" || field.kind === "number") {
        input.type = "number";
        input.step = field.kind === "integer" ? "1" : "any";
        if (field.minimum !== null) input.min = field.minimum;
        if (field.maximum !== null) input.max = field.maximum;
      } else {
        input.type = "text";
        if (field.kind === "list") input.placeholder = "comma-separated";
        if (field.kind === "map") input.placeholder = '{"key": value}';
      }
      if (field.defaultText !== null && input.type !== "month") input.placeholder = `default: ${field.defaultText}`;
    }
    input.id = id;
    input.dataset.path = field.path;
    input.addEventListener(input.tagName === "SELECT" ? "change" : "input", () => onFieldInput(field, input));
    return input;
  }

  // The form, built once per schema and dataset (the pickers list the dataset's columns).
  function buildForm() {
    const form = $("form");
    form.replaceChildren();
    for (const section of state.sections) {
      const box = document.createElement("details");
      box.className = "section";
      box.open = ["data", "sample_split", "portfolio", "vol_adjust", "multi_period", "benchmarks"].includes(section.key);
      const summary = document.createElement("summary");
      summary.textContent = section.title;
      summary.title = section.description;
      box.append(summary);
      for (const field of section.fields) {
        const row = document.createElement("div");
        row.className = "field";
        row.dataset.path = field.path;
        const label = document.createElement("label");
        label.htmlFor = `f-${field.path}`;
        label.textContent = field.path.slice(section.key.length + 1).replace(/_/g, " ") || field.label;
        const help = document.createElement("div");
        help.className = "help";
        const bounds = field.minimum !== null || field.maximum !== null || field.exclusiveMinimum !== null
          ? ` Range: ${field.minimum ?? (field.exclusiveMinimum !== null ? `>${field.exclusiveMinimum}` : "…")} to ${field.maximum ?? "…"}.` : "";
        help.textContent = field.description + (field.unit ? ` Unit: ${field.unit}.` : "") + bounds;
        const message = document.createElement("div");
        message.className = "field-error";
        row.append(label, fieldInput(field), help, message);
        box.append(row);
      }
      form.append(box);
    }
    renderFormValues();
  }

  function renderFormValues() {
    for (const section of state.sections) {
      for (const field of section.fields) {
        const input = document.getElementById(`f-${field.path}`);
        if (!input || input === document.activeElement) continue;
        const value = F.getPath(state.config, field.path);
        if (field.kind === "columns") {
          const chosen = new Set(Array.isArray(value) ? value : []);
          for (const o of input.options) o.selected = chosen.has(o.value);
        } else if (field.kind === "benchmarks") {
          const chosen = new Set(Object.values(value && typeof value === "object" ? value : {}));
          for (const o of input.options) o.selected = chosen.has(o.value);
        } else if (input.tagName === "SELECT") {
          const text = F.formatValue(field, value);
          if (text && ![...input.options].some((o) => o.value === text)) input.append(new Option(text, text));
          input.value = text;
        } else {
          input.value = F.formatValue(field, value);
        }
        // A key that has no effect with the current settings is dimmed (x-needs).
        input.closest(".field").classList.toggle("inactive", !F.isActive(field, state.config, state.sections));
      }
    }
  }

  function onFieldInput(field, input) {
    const row = input.closest(".field");
    let parsed;
    if (field.kind === "columns") {
      const chosen = [...input.selectedOptions].map((o) => o.value);
      parsed = { value: chosen.length ? chosen : undefined };
    } else if (field.kind === "benchmarks") {
      const chosen = [...input.selectedOptions].map((o) => o.value);
      parsed = { value: chosen.length ? Object.fromEntries(chosen.map((c) => [c.toLowerCase(), c])) : undefined };
    } else if (field.kind === "map") {
      try {
        parsed = { value: input.value.trim() ? JSON.parse(input.value) : undefined };
      } catch (_) {
        parsed = { error: `${field.path}: expected a JSON object such as {"a": 1}` };
      }
    } else {
      parsed = F.parseInput(field, input.value);
    }
    row.querySelector(".field-error").textContent = parsed.error || "";
    row.classList.toggle("invalid", !!parsed.error);
    if (parsed.error) return;
    F.setPath(state.config, field.path, parsed.value);
    $("config").value = configText();
    renderFormValues();
    scheduleValidation();
  }

  $("config").addEventListener("input", () => {
    try {
      const parsed = loadYaml($("config").value);
      state.config = parsed && typeof parsed === "object" ? parsed : {};
      renderFormValues();
    } catch (_) {
      // The server's validation names the line; the form keeps its last good state.
    }
    scheduleValidation();
  });

  // Validation as you type, by the server's parser: the CLI's messages, word for word.
  let validationTimer = null;
  let validationSeq = 0;
  function scheduleValidation() {
    clearTimeout(validationTimer);
    validationTimer = setTimeout(validate, 250);
  }
  async function validate() {
    const seq = ++validationSeq;
    try {
      const verdict = await postJson("/api/v1/config/validate", { config: $("config").value, multi_period: isMulti() });
      if (seq !== validationSeq) return;
      showBanners(verdict.valid ? [] : [verdict.error], verdict.warnings || []);
    } catch (e) {
      showBanners([e.message], []);
    }
  }
  function banner(kind, text) {
    const div = document.createElement("div");
    div.className = `banner ${kind}`;
    div.textContent = text;
    return div;
  }
  function showBanners(errors, warnings) {
    $("banners").replaceChildren(...errors.map((e) => banner("bad", e)), ...warnings.map((w) => banner("warning", w)));
    $("banners").dataset.errors = String(errors.length);
    $("banners").dataset.warnings = String(warnings.length);
  }

  $("tab-form").addEventListener("click", () => showTab("form"));
  $("tab-yaml").addEventListener("click", () => showTab("yaml"));
  function showTab(which) {
    $("form").hidden = which !== "form";
    $("yaml-panel").hidden = which !== "yaml";
    $("tab-form").classList.toggle("active", which === "form");
    $("tab-yaml").classList.toggle("active", which === "yaml");
    $("tab-form").setAttribute("aria-selected", String(which === "form"));
    $("tab-yaml").setAttribute("aria-selected", String(which === "yaml"));
  }

  $("download-config").addEventListener("click", () => {
    const blob = new Blob([configText()], { type: "text/yaml" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "config.yml";
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });

  $("preset").addEventListener("change", async () => {
    const name = $("preset").value;
    if (!name) return;
    try {
      const preset = loadYaml(await fetchText(`/assets/presets/${name}.yml`));
      setConfig(F.mergeConfig(state.config, preset));
      $("status").textContent = `Preset "${$("preset").selectedOptions[0].textContent}" applied over the config.`;
    } catch (e) {
      showError(e.message);
    }
  });
  $("mode").addEventListener("change", () => {
    $("multi").checked = isMulti();
    scheduleValidation();
  });
  $("defaults").addEventListener("click", async () => {
    try {
      setConfig(await apiJson("/api/v1/config/defaults"));
    } catch (e) {
      showError(e.message);
    }
  });

  // ---- Datasets ----------------------------------------------------------------------------

  async function useDataset(id, name) {
    state.dataset = await apiJson(`/api/v1/datasets/${encodeURIComponent(id)}`);
    state.datasetName = name || state.datasetName;
    const d = state.dataset;
    $("dataset").textContent = `${state.datasetName || "dataset " + id.slice(0, 12)}: ${d.rows} rows, ${d.columns.length} columns, ${d.first_date} to ${d.last_date}`;
    buildForm();  // the pickers list these columns, the month fields these dates
  }

  async function uploadCsv(name, text) {
    $("dataset").textContent = `Uploading ${name}…`;
    const response = await api("/api/v1/datasets", { method: "POST", body: text, headers: { "Content-Type": "text/csv" } });
    if (!response.ok) throw new Error(await apiError(response));
    const info = await response.json();
    await useDataset(info.id, name);
  }

  const SAMPLES = {
    sample: { csv: "/assets/sample_panel.csv", config: "/assets/sample.yml", name: "sample_panel.csv" },
    demo: { csv: "/assets/demo_returns.csv", config: "/assets/demo.yml", name: "demo_returns.csv" },
  };
  async function useSample(which) {
    const sample = SAMPLES[which];
    const [csv, config] = await Promise.all([fetchText(sample.csv), fetchText(sample.config)]);
    await uploadCsv(sample.name, csv);
    setConfig(loadYaml(config), config);
  }

  $("sample").addEventListener("change", () => {
    const which = $("sample").value;
    $("upload-label").hidden = which !== "upload";
    if (which !== "upload") useSample(which).catch((e) => showError(e.message));
  });
  $("csv").addEventListener("change", async () => {
    const file = $("csv").files[0];
    if (!file) return;
    showError("");
    try {
      await uploadCsv(file.name, await file.text());
    } catch (e) {
      showError(e.message);
    }
  });

  // ---- Results -----------------------------------------------------------------------------

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart($(id), config);
  }

  // A dashed vertical line at options.plugins.splitMarker.index: the out-of-sample start.
  const splitMarker = {
    id: "splitMarker",
    afterDatasetsDraw(chart, _args, options) {
      if (options.index === undefined || options.index === null) return;
      const x = chart.scales.x.getPixelForValue(options.index);
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#344054";
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.fillStyle = "#344054";
      ctx.font = "11px system-ui";
      ctx.fillText(options.label || "", x + 4, top + 12);
      ctx.restore();
    },
  };
  Chart.register(splitMarker);

  const percent = (decimals = 0) => (v) => (100 * v).toFixed(decimals) + "%";
  const axisTitle = (text) => ({ display: true, text });
  // The first series solid and thick, the others dashed over it: identical series stay visible.
  const line = (label, data, color, index = 0) => ({
    label, data, borderColor: color, backgroundColor: color, pointRadius: 0, tension: 0,
    borderWidth: index ? 1.5 : 3, borderDash: index ? [6, 3] : [], order: -index,
  });
  const base = (extra = {}) => ({ animation: false, maintainAspectRatio: true, interaction: { mode: "index", intersect: false }, ...extra });
  const timeAxis = (title = "Month") => ({ title: axisTitle(title), ticks: { maxTicksLimit: 10, autoSkip: true } });

  function setDownloads(runId) {
    state.runId = runId;
    for (const a of $("downloads").querySelectorAll("a[data-format]")) {
      a.href = runId ? `/api/v1/runs/${runId}/export?format=${a.dataset.format}` : "#";
      a.classList.toggle("disabled", !runId);
    }
  }

  function renderFunds(rows) {
    const head = $("funds").querySelector("thead tr");
    const columns = [["fund", "Fund", "text"]].concat(V.FUND_COLUMNS);
    let sortKey = "weight", descending = true;
    const paint = () => {
      head.replaceChildren(...columns.map(([key, label]) => {
        const th = document.createElement("th");
        th.textContent = label + (key === sortKey ? (descending ? " ▼" : " ▲") : "");
        th.dataset.key = key;
        th.addEventListener("click", () => {
          descending = key === sortKey ? !descending : key !== "fund";
          sortKey = key;
          paint();
        });
        return th;
      }));
      $("funds").querySelector("tbody").replaceChildren(...V.sortRows(rows, sortKey, descending).map((row) => {
        const tr = document.createElement("tr");
        for (const [key, , kind] of columns) {
          const td = document.createElement("td");
          td.textContent = kind === "text" ? row[key] : V.formatCell(kind, row[key]);
          tr.append(td);
        }
        return tr;
      }));
      $("funds").dataset.sortedBy = sortKey;
    };
    paint();
  }

  function tableRows(tbody, rows) {
    $(tbody).querySelector("tbody").replaceChildren(...rows.map((cells) => {
      const tr = document.createElement("tr");
      for (const cell of cells) {
        const td = document.createElement("td");
        td.textContent = cell;
        tr.append(td);
      }
      return tr;
    }));
  }

  const PALETTE = ["#1f6feb", "#12b76a", "#f79009", "#7a5af8", "#ee46bc", "#06aed4", "#b42318", "#66c61c", "#9e77ed", "#475467", "#d0d5dd"];

  // `source`: {label, runId} of where the result came from.
  function render(result, source) {
    const v = V.view(result);
    $("results").hidden = false;
    $("title").textContent = v.kind === "multi" ? `Multi-period backtest (${v.nPeriods} periods)` : "Single-period analysis";
    $("meta").textContent = source.label;
    setDownloads(source.runId);
    const warnings = result.warnings || [];
    $("result-warnings").replaceChildren(...warnings.map((w) => banner("warning", w)));
    $("growth-caption").textContent = v.outOfSampleStart ? "Growth of 1 (log scale; dashed line: out-of-sample start)" : "Growth of 1 (log scale; chained out-of-sample periods)";
    const split = v.outOfSampleStart ? v.dates.indexOf(v.outOfSampleStart) : null;
    const marker = { index: split, label: "out of sample →" };
    draw("growth", {
      type: "line",
      data: { labels: v.dates, datasets: [line("Portfolio", v.growth.user, "#1f6feb"), line("Equal weight", v.growth.ew, "#6b7280", 1)] },
      // Compounded growth spans orders of magnitude: a log scale keeps early years readable.
      options: base({ plugins: { splitMarker: marker }, scales: { x: timeAxis(), y: { type: "logarithmic", title: axisTitle("Value of 1 invested") } } }),
    });
    const ewDrawdown = V.drawdownSeries(v.growth.ew);
    draw("drawdown", {
      type: "line",
      data: { labels: v.dates, datasets: [{ ...line("Portfolio", v.drawdown, "#b42318"), fill: true, backgroundColor: "rgba(180,35,24,.12)" }, line("Equal weight", ewDrawdown, "#6b7280", 1)] },
      options: base({ plugins: { splitMarker: marker }, scales: { x: timeAxis(), y: { max: 0, title: axisTitle("Drawdown (%)"), ticks: { callback: percent() } } } }),
    });
    draw("rolling", {
      type: "line",
      data: { labels: v.dates, datasets: [line("Portfolio", V.rollingSharpe(V.returnsOf(v.growth.user)), "#1f6feb"), line("Equal weight", V.rollingSharpe(V.returnsOf(v.growth.ew)), "#6b7280", 1)] },
      options: base({ plugins: { splitMarker: marker }, scales: { x: timeAxis(), y: { title: axisTitle("Sharpe (annualised)") } } }),
    });
    const multi = v.kind === "multi";
    $("weights-figure").hidden = multi;
    for (const id of ["stacked-figure", "periods-figure", "cost-figure", "contrib-figure", "multi-tables"]) $(id).hidden = !multi;
    if (!multi) {
      draw("weights", {
        type: "bar",
        data: { labels: v.weights.funds, datasets: [{ label: "Portfolio", data: v.weights.user, backgroundColor: "#1f6feb" }, { label: "Equal weight", data: v.weights.ew, backgroundColor: "#9ca3af" }] },
        options: base({ scales: { x: { title: axisTitle("Fund") }, y: { title: axisTitle("Weight (%)"), ticks: { callback: percent() } } } }),
      });
    } else {
      const w = V.weightsOverTime(result, 10);
      draw("stacked", {
        type: "line",
        data: { labels: w.labels, datasets: w.bands.map((b, i) => ({ label: b.label, data: b.values, fill: i ? "-1" : "origin", backgroundColor: PALETTE[i % PALETTE.length], borderColor: PALETTE[i % PALETTE.length], pointRadius: 0, borderWidth: 1 })) },
        options: base({ scales: { x: timeAxis("Out-of-sample start"), y: { stacked: true, min: 0, max: 1, title: axisTitle("Weight (%)"), ticks: { callback: percent() } } }, plugins: { legend: { labels: { boxWidth: 10, font: { size: 10 } } } } }),
      });
      draw("periods", {
        type: "bar",
        data: { labels: v.periods.labels.map((d) => d.slice(0, 7)), datasets: [{ label: "Turnover", data: v.periods.turnover, backgroundColor: "#1f6feb" }] },
        options: base({ scales: { x: { title: axisTitle("Period end") }, y: { title: axisTitle("Turnover (% of the portfolio)"), ticks: { callback: percent() } } }, plugins: { legend: { display: false } } }),
      });
      draw("costs", {
        type: "bar",
        data: { labels: v.periods.labels.map((d) => d.slice(0, 7)), datasets: [{ label: "Cost", data: v.periods.cost.map((c) => 10000 * c), backgroundColor: "#f79009" }] },
        options: base({ scales: { x: { title: axisTitle("Period end") }, y: { title: axisTitle("Cost (bps)") } }, plugins: { legend: { display: false } } }),
      });
      const tb = V.topBottom(result.manager_contribution || [], 10);
      $("contrib-caption").textContent = tb.hidden ? `Contribution: the top and bottom 10 of ${tb.rows.length + tb.hidden} managers` : "Contribution by manager";
      draw("contributions", {
        type: "bar",
        data: { labels: tb.rows.map((r) => r.manager), datasets: [{ label: "Contribution", data: tb.rows.map((r) => r.contribution), backgroundColor: tb.rows.map((r) => (r.contribution < 0 ? "#b42318" : "#12b76a")) }] },
        options: base({ maintainAspectRatio: false, indexAxis: "y", scales: { x: { title: axisTitle("Contribution (sum of weight × return)"), ticks: { callback: percent() } }, y: { ticks: { autoSkip: false, font: { size: 10 } } } }, plugins: { legend: { display: false } } }),
      });
      tableRows("period-table", V.periodRows(result).map((p) => [p.inSample, p.outSample, String(p.funds), V.formatCell("percent", p.turnover), Number.isFinite(p.cost) ? (10000 * p.cost).toFixed(1) + " bps" : "–", V.formatCell("percent", p.cagr), V.formatCell("ratio", p.sharpe), V.formatCell("drawdown", p.maxDrawdown)]));
      tableRows("changes", V.managerChanges(result).map((c) => [c.when, c.action, c.manager, c.reason]));
    }
    renderFunds(V.fundRows(result));
    $("stats").querySelector("thead tr").lastElementChild.previousElementSibling.textContent = multi ? "Out-of-sample (chained)" : "Out-of-sample";
    tableRows("stats", v.stats);
    document.body.dataset.rendered = v.kind;  // for the browser test
  }

  // ---- Running -----------------------------------------------------------------------------

  let currentJob = null;
  async function followJob(body) {
    let job = await postJson("/api/v1/jobs", body);
    currentJob = job.id;
    $("job").hidden = false;
    $("cancel").disabled = false;
    for (;;) {
      const p = job.progress || {};
      $("progress").max = p.total || 1;
      $("progress").value = job.state === "SUCCESS" ? p.total || 1 : p.done || 0;
      $("job-status").textContent = V.jobStatusText(job);
      document.body.dataset.jobState = job.state;  // for the browser test
      if (["SUCCESS", "FAILURE", "REVOKED"].includes(job.state)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
      job = await apiJson(`/api/v1/jobs/${job.id}`);
    }
    currentJob = null;
    $("cancel").disabled = true;
    if (job.state === "FAILURE") throw new Error(`${job.error.type}: ${job.error.message}`);
    if (job.state === "REVOKED") throw new Error("The job was cancelled.");
    return job;
  }

  async function fetchJobResult(job, format) {
    const response = await api(job.links.result + (format ? `?format=${format}` : ""));
    if (!response.ok) throw new Error(await apiError(response));
    return response;
  }

  function requireDataset() {
    if (!state.dataset) throw new Error("Choose a returns file first.");
    return state.dataset.id;
  }

  async function run() {
    showError("");
    $("run").disabled = true;
    try {
      const dataset = requireDataset();
      const started = performance.now();
      const request = { config: $("config").value, dataset, dataset_name: state.datasetName };
      if (isMulti()) {
        // A backtest can take a while: it runs as a job, with its progress shown.
        const job = await followJob({ kind: "multi_period", ...request });
        const result = await (await fetchJobResult(job)).json();
        render(result, { label: `job ${job.id.slice(0, 8)}… · ${(performance.now() - started).toFixed(0)} ms`, runId: job.id });
        history.replaceState(null, "", `?run=${job.id}`);
      } else {
        $("status").textContent = "Running…";
        const response = await api("/api/v1/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ...request, multi_period: false }) });
        if (!response.ok) throw new Error(await apiError(response));
        const result = await response.json();
        const runId = response.headers.get("X-Run-Id") || "";
        render(result, { label: `run ${runId.slice(0, 12)}… · cache ${response.headers.get("X-Cache") || "-"} · ${(performance.now() - started).toFixed(0)} ms round trip`, runId });
        // The address now names this result: it can be bookmarked, or opened after a restart.
        history.replaceState(null, "", `?run=${runId}`);
      }
      $("status").textContent = "Done.";
      loadHistory(0);
    } catch (error) {
      $("status").textContent = "";
      showError(error.message);
    } finally {
      $("run").disabled = false;
    }
  }

  function renderSweep(job, jsonl) {
    const v = V.sweepView(jsonl);
    $("sweep-results").hidden = false;
    $("sweep-title").textContent = `Sweep: ${v.total} configurations` + (v.failed ? ` (${v.failed} failed)` : "");
    $("sweep-csv").href = `${job.links.result}?format=csv`;
    $("sweep-jsonl").href = job.links.result;
    const cells = (tag, values) => values.map((value) => {
      const cell = document.createElement(tag);
      cell.textContent = value;
      return cell;
    });
    $("sweep-table").querySelector("thead tr").replaceChildren(...cells("th", v.header));
    $("sweep-table").querySelector("tbody").replaceChildren(...v.rows.map((row) => {
      const tr = document.createElement("tr");
      tr.append(...cells("td", row));
      return tr;
    }));
    document.body.dataset.sweepRows = String(v.total);  // for the browser test
  }

  async function sweep() {
    showError("");
    $("sweep").disabled = true;
    try {
      const job = await followJob({ kind: "sweep", config: $("config").value, grid: $("grid").value, dataset: requireDataset() });
      renderSweep(job, await (await fetchJobResult(job)).text());
      history.replaceState(null, "", `?job=${job.id}`);
    } catch (error) {
      showError(error.message);
    } finally {
      $("sweep").disabled = false;
    }
  }

  async function showJob(jobId) {
    const job = await apiJson(`/api/v1/jobs/${encodeURIComponent(jobId)}`);
    if (job.state !== "SUCCESS") throw new Error(V.jobStatusText(job));
    const result = await fetchJobResult(job);
    if (job.kind === "sweep") return renderSweep(job, await result.text());
    render(await result.json(), { label: `job ${job.id.slice(0, 8)}…`, runId: job.id });
  }

  // ?run=<id>: the result, and the config, dataset and mode that made it back in the form.
  async function showRun(runId) {
    const started = performance.now();
    const response = await api(`/api/v1/runs/${encodeURIComponent(runId)}`);
    if (!response.ok) throw new Error(await apiError(response));
    const result = await response.json();
    render(result, { label: `run ${runId.slice(0, 12)}… · ${response.headers.get("X-Cache") || ""} · ${(performance.now() - started).toFixed(0)} ms`, runId });
    const requestResponse = await api(`/api/v1/runs/${encodeURIComponent(runId)}/request`);
    if (!requestResponse.ok) {
      setDownloads(null);  // a run not in the history (another server's cache) has no files here
      return;
    }
    const record = await requestResponse.json();
    setMode(record.mode === "multi_period");
    $("sample").value = "upload";
    $("upload-label").hidden = false;
    try {
      await useDataset(record.dataset, record.dataset_name);
    } catch (e) {
      $("dataset").textContent = `The run's dataset is no longer on the server (${e.message}).`;
    }
    setConfig(loadYaml(record.config) || {}, record.config);
    document.body.dataset.restored = record.id;
  }

  // ---- History and comparison --------------------------------------------------------------

  function summaryText(s, mode) {
    const parts = [];
    if (s.selection) parts.push(s.selection + (s.rank_n ? ` top ${s.rank_n}` : "") + (s.score_by ? ` by ${s.score_by}` : ""));
    if (s.weighting) parts.push(s.weighting);
    if (s.target_vol !== undefined) parts.push(`vol ${(100 * s.target_vol).toFixed(0)}%`);
    if (s.frequency && mode === "multi_period") parts.push(`${s.in_sample_len ?? "?"}/${s.out_sample_len ?? "?"} ${s.frequency}`);
    return parts.join(", ");
  }

  async function loadHistory(offset) {
    try {
      const page = await apiJson(`/api/v1/runs?offset=${offset}&limit=${HISTORY_PAGE}`);
      state.historyOffset = offset;
      $("history-count").textContent = `(${page.total} runs${page.persistent ? ", kept on disk" : ", in memory: start trend app with --data-dir to keep them"})`;
      $("history-prev").disabled = offset === 0;
      $("history-next").disabled = !page.next;
      $("history-table").querySelector("tbody").replaceChildren(...page.runs.map((r) => {
        const tr = document.createElement("tr");
        tr.dataset.run = r.id;
        const pick = document.createElement("input");
        pick.type = "checkbox";
        pick.value = r.id;
        pick.addEventListener("change", updateCompareButton);
        const open = document.createElement("a");
        open.href = `/?run=${r.id}`;
        open.textContent = "Open";
        const h = r.headline || {};
        const cells = [new Date(r.created).toLocaleString(), r.dataset_name || r.dataset.slice(0, 12), r.mode === "multi_period" ? `multi-period${h.periods ? ` (${h.periods})` : ""}` : "single", summaryText(r.summary || {}, r.mode), V.formatCell("percent", h.cagr), V.formatCell("ratio", h.sharpe), V.formatCell("drawdown", h.max_drawdown)];
        const first = document.createElement("td");
        first.append(pick);
        tr.append(first);
        for (const c of cells) {
          const td = document.createElement("td");
          td.textContent = c;
          tr.append(td);
        }
        const last = document.createElement("td");
        last.append(open);
        tr.append(last);
        return tr;
      }));
      updateCompareButton();
    } catch (e) {
      $("history-count").textContent = e.message;
    }
  }
  function selectedRuns() {
    return [...$("history-table").querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
  }
  function updateCompareButton() {
    $("compare-button").disabled = selectedRuns().length !== 2;
  }
  $("history-prev").addEventListener("click", () => loadHistory(Math.max(0, state.historyOffset - HISTORY_PAGE)));
  $("history-next").addEventListener("click", () => loadHistory(state.historyOffset + HISTORY_PAGE));
  $("compare-button").addEventListener("click", () => {
    const [a, b] = selectedRuns();
    location.href = `/?compare=${a},${b}`;
  });

  // ?compare=a,b: two runs side by side: statistics, growth and drawdown overlaid, and the
  // keys of their configs that differ.
  async function showCompare(a, b) {
    const [ra, rb, da, db] = await Promise.all([
      apiJson(`/api/v1/runs/${a}/request`), apiJson(`/api/v1/runs/${b}/request`),
      apiJson(`/api/v1/runs/${a}`), apiJson(`/api/v1/runs/${b}`),
    ]);
    $("compare").hidden = false;
    $("compare-title").textContent = "Compare two runs";
    const name = (r, tag) => `${tag}: ${r.dataset_name || r.dataset.slice(0, 8)} · ${summaryText(r.summary || {}, r.mode)}`;
    $("compare-a").textContent = name(ra, "A");
    $("compare-b").textContent = name(rb, "B");
    const va = V.view(da), vb = V.view(db);
    const stats = (doc) => (Array.isArray(doc.periods) ? (doc.summary || {}).out_user_stats : doc.out_user_stats) || {};
    const sa = stats(da), sb = stats(db);
    const metrics = [["cagr", "CAGR", "percent"], ["vol", "Volatility", "percent"], ["sharpe", "Sharpe", "ratio"], ["sortino", "Sortino", "ratio"], ["max_drawdown", "Max drawdown", "drawdown"]];
    tableRows("compare-stats", metrics.map(([key, label, kind]) => [label, V.formatCell(kind, sa[key]), V.formatCell(kind, sb[key])]));
    // One time axis: the union of both runs' months.
    const dates = [...new Set(va.dates.concat(vb.dates))].sort();
    const align = (v, series) => {
      const at = new Map(v.dates.map((d, i) => [d, series[i]]));
      return dates.map((d) => at.get(d) ?? null);
    };
    draw("compare-growth", {
      type: "line",
      data: { labels: dates, datasets: [line("A", align(va, va.growth.user), "#1f6feb"), line("B", align(vb, vb.growth.user), "#f79009", 1)] },
      options: base({ spanGaps: true, scales: { x: timeAxis(), y: { type: "logarithmic", title: axisTitle("Value of 1 invested") } } }),
    });
    draw("compare-drawdown", {
      type: "line",
      data: { labels: dates, datasets: [line("A", align(va, va.drawdown), "#1f6feb"), line("B", align(vb, vb.drawdown), "#f79009", 1)] },
      options: base({ spanGaps: true, scales: { x: timeAxis(), y: { max: 0, title: axisTitle("Drawdown (%)"), ticks: { callback: percent() } } } }),
    });
    const show = (v) => (v === undefined ? "(not set)" : typeof v === "object" ? JSON.stringify(v) : String(v));
    const diff = F.configDiff(loadYaml(ra.config) || {}, loadYaml(rb.config) || {});
    if (ra.mode !== rb.mode) diff.unshift({ path: "(mode)", left: ra.mode, right: rb.mode });
    if (ra.dataset !== rb.dataset) diff.unshift({ path: "(returns)", left: ra.dataset_name || ra.dataset, right: rb.dataset_name || rb.dataset });
    tableRows("compare-diff", diff.length ? diff.map((d) => [d.path, show(d.left), show(d.right)]) : [["(the configs are the same)", "", ""]]);
    document.body.dataset.compared = String(diff.length);
    $("compare").scrollIntoView();
  }

  // ---- Start -------------------------------------------------------------------------------

  $("run").addEventListener("click", run);
  $("sweep").addEventListener("click", sweep);
  $("cancel").addEventListener("click", () => {
    if (currentJob) api(`/api/v1/jobs/${currentJob}`, { method: "DELETE" }).catch((e) => showError(e.message));
  });
  fetch("/api/v1/healthz").then((r) => { $("health").textContent = r.ok ? "server ok" : "server unhealthy"; });

  async function start() {
    state.sections = F.sectionsOf(await apiJson("/api/v1/config/schema"));
    buildForm();
    const query = new URLSearchParams(location.search);
    loadHistory(0);
    if (query.get("run")) return showRun(query.get("run"));
    if (query.get("job")) return showJob(query.get("job"));
    if (query.get("compare")) {
      const [a, b] = query.get("compare").split(",");
      await useSample("sample");
      return showCompare(a, b);
    }
    if (query.has("demo")) {
      // /?demo (the header's link): the reference's demo run at once; /?demo=multi as a
      // multi-period backtest job, /?demo=sweep as a sweep job.
      const mode = query.get("demo");
      setMode(mode === "multi");
      if (mode === "sweep") $("sweep-panel").open = true;
      $("sample").value = "demo";
      await useSample("demo");
      return mode === "sweep" ? sweep() : run();
    }
    // The realistic sample opens by default: it runs as it is, and shows the keys.
    await useSample("sample");
  }
  start().catch((e) => showError(e.message));
})();
