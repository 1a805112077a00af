// The workbench in a real browser (Debian's headless Chromium, driven by playwright-core):
// a person who has never seen the schema sets up a rank-selection, HRP, vol-targeted
// multi-period backtest from the form, runs it, downloads every format, finds it again after
// a restart of the server, and compares it with a second run.
//
//   node tests/web/workbench_test.mjs TREND ROOT [--screenshots DIR]
//
// Exits non-zero with the failed check. With --screenshots it also saves the main views.
import { spawn, execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const [trend, root] = process.argv.slice(2, 4);
const shotsAt = process.argv.indexOf("--screenshots");
const shots = shotsAt > 0 ? path.resolve(process.argv[shotsAt + 1]) : null;
const require = createRequire(path.join(root, "web", "package.json"));
const { chromium } = require("playwright-core");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "trend-workbench-"));
const dataDir = path.join(tmp, "data");
let server = null;
let browser = null;
let stage = "start";  // named in a failure

function fail(message) {
  throw new Error(message);
}
function check(condition, message) {
  if (!condition) fail(message);
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(port) {
  const log = fs.openSync(path.join(tmp, "app.log"), "a");
  server = spawn(trend, ["app", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir], { stdio: ["ignore", log, log] });
  for (let i = 0; i < 100; ++i) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch (_) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`trend app did not start: ${fs.readFileSync(path.join(tmp, "app.log"), "utf8")}`);
}

async function stopServer() {
  if (!server) return;
  const exited = new Promise((r) => server.once("exit", r));
  server.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
  server = null;
}

async function shot(page, name) {
  if (!shots) return;
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });
}

// The file behind a download button, as the browser would fetch it.
async function download(page, format) {
  const href = await page.getAttribute(`#downloads a[data-format=${format}]`, "href");
  check(href && href.startsWith("/api/v1/runs/"), `no ${format} download link (${href})`);
  const response = await page.request.get(new URL(href, page.url()).href);
  check(response.ok(), `${format} download: ${response.status()} ${await response.text()}`);
  const file = path.join(tmp, `download.${format}`);
  fs.writeFileSync(file, await response.body());
  return { file, type: response.headers()["content-type"], disposition: response.headers()["content-disposition"] };
}

const py = (code, ...args) => execFileSync("/usr/bin/python3", ["-c", code, ...args], { encoding: "utf8" });

async function main() {
  const port = await freePort();
  await startServer(port);
  const base = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({
    executablePath: process.env.TREND_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));

  // 1. The page opens on the realistic sample, with a form made from the schema.
  stage = "1";
  await page.goto(base + "/");
  await page.waitForFunction(() => document.getElementById("dataset").textContent.includes("sample_panel.csv"), null, { timeout: 20000 });
  check(await page.locator("#form details.section").count() >= 6, "the form has too few sections");
  await shot(page, "form");

  // 2. The analyst's own CSV, a preset, then the form: mode, pickers from the file's header,
  // a month in the file's range.
  stage = "2";
  const own = path.join(tmp, "my_funds.csv");
  fs.copyFileSync(path.join(root, "demo", "sample_panel.csv"), own);
  await page.selectOption("#sample", "upload");
  await page.setInputFiles("#csv", own);
  await page.waitForFunction(() => document.getElementById("dataset").textContent.startsWith("my_funds.csv:"), null, { timeout: 20000 });
  await page.selectOption("#preset", "hrp_trend");
  await page.waitForFunction(() => document.getElementById("config").value.includes("weighting_scheme: hrp"));
  await page.selectOption("#mode", "multi");
  check(await page.locator('[id="f-data.risk_free_column"] option[value=RF]').count() === 1, "the risk-free picker does not list the dataset's RF column");
  await page.selectOption('[id="f-data.risk_free_column"]', "RF");
  await page.selectOption('[id="f-benchmarks"]', ["SPX"]);
  await page.waitForFunction(() => /benchmarks:\s*\n\s+spx: SPX/.test(document.getElementById("config").value));
  check(await page.getAttribute('[id="f-multi_period.start"]', "min") === "1999-01", "the month picker's range is not the data's");
  await page.fill('[id="f-multi_period.start"]', "2001-01");
  await page.waitForFunction(() => /start: 2001-01/.test(document.getElementById("config").value));
  await page.selectOption('[id="f-portfolio.selection_mode"]', "rank");
  await page.fill('[id="f-vol_adjust.target_vol"]', "0.12");
  await page.waitForFunction(() => /target_vol: 0\.12/.test(document.getElementById("config").value));

  // 3. Validation as you type: a bound the engine checks, with the CLI's words.
  stage = "3";
  await page.fill('[id="f-portfolio.rank.n"]', "0");
  const fieldError = await page.textContent('.field[data-path="portfolio.rank.n"] .field-error');
  check(/portfolio\.rank\.n = '0': expected a value in \[1, /.test(fieldError), `no bound message: "${fieldError}"`);
  await page.fill('[id="f-portfolio.rank.n"]', "8");
  await page.waitForFunction(() => /\bn'?: 8\b/.test(document.getElementById("config").value));

  // 4. A warning banner: an unknown key typed in the YAML editor, named as the CLI names it.
  stage = "4";
  await page.click("#tab-yaml");
  const good = await page.inputValue("#config");
  await page.fill("#config", good + "colour: blue\n");
  await page.waitForSelector(".banner.warning", { timeout: 10000 });
  const warning = await page.textContent(".banner.warning");
  check(/unknown key 'colour'/.test(warning), `the banner says: ${warning}`);
  await shot(page, "warning");
  await page.fill("#config", good);
  await page.waitForFunction(() => document.getElementById("banners").dataset.warnings === "0", null, { timeout: 10000 });
  await page.click("#tab-form");
  check(await page.inputValue('[id="f-vol_adjust.target_vol"]') === "0.12", "the form lost the editor's value");

  // 5. Run the backtest; see the charts.
  stage = "5";
  await page.click("#run");
  await page.waitForFunction(() => document.body.dataset.rendered === "multi" || document.body.dataset.error, null, { timeout: 60000 });
  check(!(await page.evaluate(() => document.body.dataset.error)), `the run failed: ${await page.evaluate(() => document.body.dataset.error)}`);
  for (const id of ["growth", "drawdown", "rolling", "stacked", "periods", "costs", "contributions"]) {
    check(await page.evaluate((c) => !!Chart.getChart(document.getElementById(c)), id), `no ${id} chart`);
  }
  check(await page.locator("#period-table tbody tr").count() >= 10, "the period table has under 10 rows");
  check(await page.locator("#changes tbody tr").count() > 0, "no hires or exits");
  await page.click('#funds th[data-key="out_sharpe"]');
  check(await page.getAttribute("#funds", "data-sorted-by") === "out_sharpe", "the fund table did not sort");
  const multiRun = new URL(page.url()).searchParams.get("run");
  check(multiRun, "the address does not name the run");
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, "backtest");
  await page.locator("#contrib-figure").scrollIntoViewIfNeeded();
  await shot(page, "backtest-tables");

  // 6. Downloads: every format, and the files are what `trend run --out` writes.
  stage = "6";
  const config = await page.inputValue("#config");
  const configFile = path.join(tmp, "config.yml");
  fs.writeFileSync(configFile, config);
  const outDir = path.join(tmp, "cli-out");
  execFileSync(trend, ["run", "-c", configFile, "--returns", path.join(root, "demo", "sample_panel.csv"), "--multi-period", "--out", outDir, "-q"], { stdio: "ignore" });
  const csv = await download(page, "csv");
  check(csv.type === "application/zip", `csv: ${csv.type}`);
  const sameAsCli = py(
    "import sys,zipfile,os\nz=zipfile.ZipFile(sys.argv[1])\nnames=[n for n in z.namelist()]\nbad=[n for n in names if z.read(n)!=open(os.path.join(sys.argv[2],n),'rb').read()]\nprint(len(names),len(bad))",
    csv.file, outDir).trim().split(" ");
  check(Number(sameAsCli[0]) >= 3 && sameAsCli[1] === "0", `the zipped CSVs differ from trend run --out's: ${sameAsCli}`);
  const xlsx = await download(page, "xlsx");
  const sheets = py("import sys,openpyxl\nwb=openpyxl.load_workbook(sys.argv[1])\nprint(len(wb.sheetnames))", xlsx.file).trim();
  check(Number(sheets) >= 2, `the workbook has ${sheets} sheets`);
  const txt = await download(page, "txt");
  check(fs.readFileSync(txt.file, "utf8").includes("Combined"), "the text export lacks the combined summary");
  const json = await download(page, "json");
  check(json.type === "application/json" || json.type === "application/zip", `json: ${json.type}`);
  const html = await download(page, "html");
  const htmlText = fs.readFileSync(html.file, "utf8");
  check(htmlText.includes("<svg") && !/(src|href)="https?:/.test(htmlText), "the HTML report is not self-contained");
  const pdf = await download(page, "pdf");
  check(fs.readFileSync(pdf.file).subarray(0, 5).toString() === "%PDF-", "the PDF is not a PDF");

  // 7. A second run (single period, another weighting), for the history and the comparison.
  stage = "7";
  await page.goto(base + "/");
  await page.waitForFunction(() => document.getElementById("dataset").textContent.includes("sample_panel.csv"), null, { timeout: 20000 });
  await page.selectOption('[id="f-portfolio.weighting_scheme"]', "risk_parity");
  await page.click("#run");
  await page.waitForFunction(() => document.body.dataset.rendered === "single" || document.body.dataset.error, null, { timeout: 60000 });
  check(!(await page.evaluate(() => document.body.dataset.error)), `the second run failed: ${await page.evaluate(() => document.body.dataset.error)}`);
  await shot(page, "analysis");

  // 8. A restart of the server: the runs are still there, and ?run= restores the form.
  stage = "8";
  await stopServer();
  await startServer(port);
  await page.goto(`${base}/?run=${multiRun}`);
  await page.waitForFunction((id) => document.body.dataset.restored === id || document.body.dataset.error, multiRun, { timeout: 20000 });
  check(await page.evaluate(() => document.body.dataset.rendered) === "multi", "the reopened run is not drawn");
  check(await page.inputValue("#mode") === "multi", "the mode was not restored");
  check(/target_vol: 0\.12/.test(await page.inputValue("#config")), "the config was not restored");
  check(await page.inputValue('[id="f-vol_adjust.target_vol"]') === "0.12", "the form was not restored");
  const rows = await page.locator("#history-table tbody tr").count();
  check(rows === 2, `the history lists ${rows} runs after the restart, not 2`);
  const listed = await page.locator("#history-table tbody").textContent();
  check(listed.includes("my_funds.csv") && listed.includes("multi-period"), `the history does not name the upload: ${listed}`);

  // 9. Compare the two.
  stage = "9";
  await page.locator("#history-table tbody input[type=checkbox]").nth(0).check();
  await page.locator("#history-table tbody input[type=checkbox]").nth(1).check();
  await page.click("#compare-button");
  await page.waitForFunction(() => document.body.dataset.compared !== undefined || document.body.dataset.error, null, { timeout: 20000 });
  const diffRows = await page.locator("#compare-diff tbody tr").allTextContents();
  check(diffRows.some((r) => r.includes("portfolio.weighting_scheme")), `the diff misses the weighting: ${diffRows.join(" | ")}`);
  check(diffRows.some((r) => r.includes("(mode)")), "the diff misses the mode");
  check(await page.locator("#compare-stats tbody tr").count() === 5, "the compared statistics are missing");
  check(await page.evaluate(() => !!Chart.getChart(document.getElementById("compare-growth"))), "no overlaid growth chart");
  await page.locator("#compare").scrollIntoViewIfNeeded();
  await shot(page, "compare");
  check(errors.length === 0, `script errors on the page: ${errors.join("; ")}`);
  console.log(`ok: workbench (multi-period run ${multiRun.slice(0, 8)}, ${diffRows.length} config differences)`);
}

try {
  await main();
} catch (e) {
  console.error(`FAIL at step ${stage}: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  await stopServer();
  fs.rmSync(tmp, { recursive: true, force: true });
}
