// The page of `trend app`: upload a returns CSV, edit a config, run it through the JSON API
// and draw the result. Data shaping lives in report_view.js; this file is DOM and fetch only.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const charts = {};
  let datasetId = null;
  let uploadedFile = null;

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
    if (message) document.body.dataset.error = message;
  }

  // The API's errors are {error, detail, path}; show what a person can act on.
  async function apiError(response) {
    try {
      const body = await response.json();
      return `${response.status} ${body.error}: ${body.detail}`;
    } catch (_) {
      return `${response.status} ${response.statusText}`;
    }
  }

  // The API, with the access token when the server wants one (trend app --token). A 401
  // reveals the token field; the token is kept for this tab only.
  async function api(url, options = {}) {
    const token = sessionStorage.getItem("trendToken");
    const headers = { ...(options.headers || {}) };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(url, { ...options, headers });
    if (response.status === 401) $("auth").hidden = false;
    return response;
  }
  $("token").value = sessionStorage.getItem("trendToken") || "";
  $("token").addEventListener("change", () => sessionStorage.setItem("trendToken", $("token").value.trim()));

  async function loadDefaults() {
    const response = await api("/api/v1/config/defaults");
    if (!response.ok) throw new Error(await apiError(response));
    $("config").value = JSON.stringify(await response.json(), null, 2);
  }

  async function fetchText(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(await apiError(response));
    return response.text();
  }

  async function uploadCsv(name, text) {
    $("dataset").textContent = `Uploading ${name}…`;
    const response = await api("/api/v1/datasets", { method: "POST", body: text, headers: { "Content-Type": "text/csv" } });
    if (!response.ok) throw new Error(await apiError(response));
    const info = await response.json();
    datasetId = info.id;
    $("dataset").textContent = `${name}: ${info.rows} rows, ${info.columns.length} columns`;
  }

  async function uploadDataset(file) {
    await uploadCsv(file.name, await file.text());
    uploadedFile = file;
  }

  // The bundled demo: its returns and the config that goes with them (config/demo.yml).
  async function useDemo() {
    const [csv, config] = await Promise.all([fetchText("/assets/demo_returns.csv"), fetchText("/assets/demo.yml")]);
    await uploadCsv("demo_returns.csv", csv);
    $("config").value = config;
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart($(id), config);
  }

  const percentAxis = { grace: "5%", ticks: { callback: (v) => (100 * v).toFixed(0) + "%" } };

  // `source`: {label, href, name} of where the result came from and where to download it.
  function render(result, source) {
    const v = ReportView.view(result);
    $("results").hidden = false;
    $("title").textContent = v.kind === "multi" ? `Multi-period backtest (${v.nPeriods} periods)` : "Single-period analysis";
    $("meta").textContent = source.label;
    $("download").href = source.href;
    $("download").download = source.name;
    $("growth-caption").textContent = v.outOfSampleStart
      ? `Growth of 1 (out of sample from ${v.outOfSampleStart})`
      : "Growth of 1 (chained out-of-sample periods)";
    const line = (label, data, color) => ({ label, data, borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 1.5, tension: 0 });
    draw("growth", {
      type: "line",
      data: { labels: v.dates, datasets: [line("Portfolio", v.growth.user, "#1f6feb"), line("Equal weight", v.growth.ew, "#9ca3af")] },
      // Compounded growth spans orders of magnitude: a log scale keeps early years readable.
      options: { animation: false, interaction: { mode: "index", intersect: false }, scales: { y: { type: "logarithmic" } } },
    });
    draw("drawdown", {
      type: "line",
      data: { labels: v.dates, datasets: [{ ...line("Portfolio", v.drawdown, "#b42318"), fill: true, backgroundColor: "rgba(180,35,24,.15)" }] },
      options: { animation: false, scales: { y: { ...percentAxis, max: 0 } }, plugins: { legend: { display: false } } },
    });
    $("weights-figure").hidden = v.kind !== "single";
    $("periods-figure").hidden = v.kind !== "multi";
    $("contrib-figure").hidden = v.kind !== "multi";
    if (v.kind === "single") {
      draw("weights", {
        type: "bar",
        data: { labels: v.weights.funds, datasets: [{ label: "Portfolio", data: v.weights.user, backgroundColor: "#1f6feb" }, { label: "Equal weight", data: v.weights.ew, backgroundColor: "#9ca3af" }] },
        options: { animation: false, scales: { y: percentAxis } },
      });
    } else {
      draw("periods", {
        type: "bar",
        data: { labels: v.periods.labels, datasets: [{ label: "Turnover", data: v.periods.turnover, backgroundColor: "#1f6feb" }, { label: "Cost", data: v.periods.cost, backgroundColor: "#f79009" }] },
        options: { animation: false, scales: { y: percentAxis } },
      });
      draw("contributions", {
        type: "bar",
        data: { labels: v.contributions.managers, datasets: [{ label: "Contribution", data: v.contributions.values, backgroundColor: "#12b76a" }] },
        options: { animation: false, indexAxis: "y", scales: { x: percentAxis }, plugins: { legend: { display: false } } },
      });
    }
    document.body.dataset.rendered = v.kind;  // for the browser test
    const body = $("stats").querySelector("tbody");
    body.replaceChildren(...v.stats.map((row) => {
      const tr = document.createElement("tr");
      for (const cell of row) {
        const td = document.createElement("td");
        td.textContent = cell;
        tr.appendChild(td);
      }
      return tr;
    }));
  }

  function runSource(runId, cache, millis) {
    return {
      label: `run ${runId.slice(0, 12)}… · cache ${cache || "-"} · ${millis.toFixed(0)} ms round trip`,
      href: `/api/v1/runs/${runId}`,
      name: `trend-run-${runId.slice(0, 12)}.json`,
    };
  }

  async function ensureDataset() {
    const file = $("csv").files[0];
    if (file && file !== uploadedFile) await uploadDataset(file);
    if (!datasetId) throw new Error("Choose a returns CSV first.");
  }

  // A job (POST /api/v1/jobs), followed with a progress bar until it ends; Cancel revokes it.
  // Resolves to the finished job, or throws with its error.
  let currentJob = null;
  async function followJob(body) {
    const response = await api("/api/v1/jobs", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(await apiError(response));
    let job = await response.json();
    currentJob = job.id;
    $("job").hidden = false;
    $("cancel").disabled = false;
    for (;;) {
      const p = job.progress || {};
      $("progress").max = p.total || 1;
      $("progress").value = job.state === "SUCCESS" ? p.total || 1 : p.done || 0;
      $("job-status").textContent = ReportView.jobStatusText(job);
      document.body.dataset.jobState = job.state;  // for the browser test
      if (["SUCCESS", "FAILURE", "REVOKED"].includes(job.state)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const poll = await api(`/api/v1/jobs/${job.id}`);
      if (!poll.ok) throw new Error(await apiError(poll));
      job = await poll.json();
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

  async function run() {
    showError("");
    $("run").disabled = true;
    try {
      await ensureDataset();
      const started = performance.now();
      if ($("multi").checked) {
        // A backtest can take a while: it runs as a job, with its progress shown.
        const job = await followJob({ kind: "multi_period", config: $("config").value, dataset: datasetId });
        const result = await (await fetchJobResult(job)).json();
        render(result, {
          label: `job ${job.id.slice(0, 8)}… · ${(performance.now() - started).toFixed(0)} ms`,
          href: job.links.result,
          name: `trend-job-${job.id.slice(0, 8)}.json`,
        });
        history.replaceState(null, "", `?job=${job.id}`);
        $("status").textContent = "Done.";
        return;
      }
      $("status").textContent = "Running…";
      const response = await api("/api/v1/runs", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ config: $("config").value, dataset: datasetId, multi_period: false }),
      });
      if (!response.ok) throw new Error(await apiError(response));
      const result = await response.json();
      const runId = response.headers.get("X-Run-Id") || "";
      render(result, runSource(runId, response.headers.get("X-Cache"), performance.now() - started));
      // The address now names this result: it can be bookmarked or sent to a colleague.
      history.replaceState(null, "", `?run=${runId}`);
      $("status").textContent = "Done.";
    } catch (error) {
      $("status").textContent = "";
      showError(error.message);
    } finally {
      $("run").disabled = false;
    }
  }

  function renderSweep(job, jsonl) {
    const v = ReportView.sweepView(jsonl);
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
      await ensureDataset();
      const job = await followJob({ kind: "sweep", config: $("config").value, grid: $("grid").value, dataset: datasetId });
      renderSweep(job, await (await fetchJobResult(job)).text());
      history.replaceState(null, "", `?job=${job.id}`);
    } catch (error) {
      showError(error.message);
    } finally {
      $("sweep").disabled = false;
    }
  }

  // ?job=<id>: a finished job's result, drawn as when it finished.
  async function showJob(jobId) {
    const response = await api(`/api/v1/jobs/${encodeURIComponent(jobId)}`);
    if (!response.ok) throw new Error(await apiError(response));
    const job = await response.json();
    if (job.state !== "SUCCESS") throw new Error(ReportView.jobStatusText(job));
    const result = await fetchJobResult(job);
    if (job.kind === "sweep") return renderSweep(job, await result.text());
    render(await result.json(), { label: `job ${job.id.slice(0, 8)}…`, href: job.links.result, name: `trend-job-${job.id.slice(0, 8)}.json` });
  }

  $("run").addEventListener("click", run);
  $("sweep").addEventListener("click", sweep);
  $("cancel").addEventListener("click", () => {
    if (currentJob) api(`/api/v1/jobs/${currentJob}`, { method: "DELETE" }).catch((e) => showError(e.message));
  });
  $("defaults").addEventListener("click", () => loadDefaults().catch((e) => showError(e.message)));
  $("demo").addEventListener("click", () => useDemo().catch((e) => showError(e.message)));
  $("csv").addEventListener("change", () => {
    const file = $("csv").files[0];
    if (file) uploadDataset(file).catch((e) => showError(e.message));
  });
  // ?run=<id> shows a finished result (from the server's cache).
  async function showRun(runId) {
    const started = performance.now();
    const response = await api(`/api/v1/runs/${encodeURIComponent(runId)}`);
    if (!response.ok) throw new Error(await apiError(response));
    render(await response.json(), runSource(runId, response.headers.get("X-Cache"), performance.now() - started));
  }

  fetch("/api/v1/healthz").then((r) => { $("health").textContent = r.ok ? "server ok" : "server unhealthy"; });

  // Start from the demo config: it runs on the demo data as it is, and shows the keys.
  const query = new URLSearchParams(location.search);
  if (!query.has("demo")) {
    fetchText("/assets/demo.yml").then((text) => { if (!$("config").value) $("config").value = text; }).catch((e) => showError(e.message));
  }
  if (query.get("run")) {
    showRun(query.get("run")).catch((e) => showError(e.message));
  } else if (query.get("job")) {
    showJob(query.get("job")).catch((e) => showError(e.message));
  } else if (query.has("demo")) {
    // /?demo (the header's link): upload the demo data and run its config at once;
    // /?demo=multi as a multi-period backtest job, /?demo=sweep as a sweep job.
    const mode = query.get("demo");
    $("multi").checked = mode === "multi";
    if (mode === "sweep") $("sweep-panel").open = true;
    useDemo().then(mode === "sweep" ? sweep : run).catch((e) => showError(e.message));
  }
})();
