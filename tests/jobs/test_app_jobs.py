"""trend app's jobs (/api/v1/jobs): analyses, multi-period backtests and sweeps submitted and
fetched later, in process (the default) and on a real Redis broker's trend worker processes.
Both give the bytes of POST /api/v1/runs and of trend sweep; DELETE revokes."""
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, TREND, read, wait_until

SWEEP_CONFIG = os.path.join(ROOT, "config", "sweeps", "demo_sweep.yml")
GRID = """portfolio.rank.n: [2, 4, 8]
vol_adjust.target_vol: [0.08, 0.12]
portfolio.weighting_scheme: [equal, risk_parity, hrp, erc]
"""
BIG_GRID = """portfolio.rank.n: [2, 3, 4, 5, 6, 7, 8, 9]
vol_adjust.target_vol: [0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12, 0.13, 0.14]
portfolio.weighting_scheme: [equal, risk_parity, hrp, erc]
vol_adjust.window.length: [12, 24, 36, 48, 60]
portfolio.rank.score_by: [Sharpe, Volatility, AvgCorr, MaxDrawdown]
"""
FINAL = ("SUCCESS", "FAILURE", "REVOKED")


class App:
    def __init__(self, directory, *extra):
        self.log_path = os.path.join(directory, f"app-{time.monotonic_ns()}.log")
        self.proc = subprocess.Popen(
            [TREND, "app", "--port", "0", "--access-log", "", "--threads", "2", *extra],
            stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))
        wait_until(lambda: "listening on" in self.log() or self.proc.poll() is not None, 30,
                   "trend app to listen")
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log())
        assert match, self.log()
        self.base = f"http://127.0.0.1:{match.group(1)}"

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def json(self, method, path, body=None):
        status, payload, _ = self.request(method, path, body)
        return status, json.loads(payload)

    def wait(self, job_id, timeout=120):
        seen = []

        def finished():
            status, job = self.json("GET", f"/api/v1/jobs/{job_id}")
            assert status == 200, job
            seen.append(job)
            return job["state"] in FINAL

        wait_until(finished, timeout, f"job {job_id}", step=0.02)
        return seen

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


@pytest.fixture
def app_factory(tmp_path):
    started = []

    def start(*extra):
        a = App(tmp_path, *extra)
        started.append(a)
        return a

    yield start
    for a in started:
        a.stop()


def demo_inputs():
    return read("config/demo.yml"), read("demo/demo_returns.csv")


def sweep_files(tmp_path, grid_text):
    grid = tmp_path / "grid.yml"
    grid.write_text(grid_text)
    out = tmp_path / "local-sweep"
    subprocess.run([TREND, "sweep", "-c", SWEEP_CONFIG, "--grid", str(grid), "--out", str(out), "-q"],
                   check=True, timeout=120)
    return (out / "results.csv").read_bytes(), (out / "results.jsonl").read_bytes()


def sweep_config_text():
    # The demo sweep config names its returns by a relative path: the job sends them instead.
    return read("config/sweeps/demo_sweep.yml")


def check_jobs_give_the_bytes_of_runs_and_sweeps(app, tmp_path):
    config, csv = demo_inputs()
    for kind, flag in (("run", False), ("multi_period", True)):
        status, job = app.json("POST", "/api/v1/jobs", {"kind": kind, "config": config, "csv": csv})
        assert status == 202, job
        assert job["state"] in ("PENDING", "STARTED", "SUCCESS") and job["kind"] == kind
        seen = app.wait(job["id"])
        final = seen[-1]
        assert final["state"] == "SUCCESS", final
        assert final["progress"]["done"] == final["progress"]["total"] > 0
        if kind == "multi_period":
            assert final["progress"]["unit"] == "periods"
        status, document, headers = app.request("GET", final["links"]["result"])
        assert status == 200 and headers["Content-Type"] == "application/json"
        status, expected, _ = app.request("POST", "/api/v1/runs",
                                          {"config": config, "csv": csv, "multi_period": flag})
        assert status == 200
        assert document == expected, kind
    # A sweep: the two files trend sweep writes, byte for byte, with progress on the way.
    local_csv, local_jsonl = sweep_files(tmp_path, GRID)
    status, job = app.json("POST", "/api/v1/jobs",
                           {"kind": "sweep", "config": sweep_config_text(), "grid": GRID, "csv": csv})
    assert status == 202, job
    seen = app.wait(job["id"])
    assert seen[-1]["state"] == "SUCCESS", seen[-1]
    dones = [j["progress"]["done"] for j in seen]
    assert dones == sorted(dones) and dones[-1] == 24
    status, jsonl, headers = app.request("GET", f"/api/v1/jobs/{job['id']}/result")
    assert status == 200 and headers["Content-Type"] == "application/x-ndjson"
    status, table, headers = app.request("GET", f"/api/v1/jobs/{job['id']}/result?format=csv")
    assert status == 200 and headers["Content-Type"] == "text/csv"
    assert "results.csv" in headers["Content-Disposition"]
    assert (table, jsonl) == (local_csv, local_jsonl)


def test_in_process_jobs_give_the_bytes_of_runs_and_sweeps(tmp_path, app_factory):
    app = app_factory()
    check_jobs_give_the_bytes_of_runs_and_sweeps(app, tmp_path)
    status, listing = app.json("GET", "/api/v1/jobs")
    assert status == 200 and listing["where"] == "in process"
    assert [j["kind"] for j in listing["jobs"]] == ["sweep", "multi_period", "run"]
    assert listing["counts"]["SUCCESS"] == 3
    status, metrics, _ = app.request("GET", "/metrics")
    assert b'trend_jobs{state="SUCCESS"} 3' in metrics


def test_bad_jobs_are_refused_at_once_naming_the_field(app_factory):
    app = app_factory()
    config, csv = demo_inputs()
    cases = [
        ({"kind": "nap", "config": config, "csv": csv}, 422, "kind"),
        ({"config": "portfolio:\n  rank:\n    n: many\n", "csv": csv}, 422, "portfolio.rank.n"),
        ({"config": config, "csv": csv, "colour": 1}, 422, "unknown field 'colour'"),
        ({"kind": "sweep", "config": config, "csv": csv}, 422, "grid"),
        ({"kind": "sweep", "config": "version: 1\n", "csv": csv,
          "grid": "mode: multi_period\nportfolio.rank.n: [2, 4]\n"}, 422, "needs a multi_period"),
        ({"kind": "sweep", "config": config, "csv": csv, "grid": "portfolio.nope: [1]\n"}, 422,
         "portfolio.nope"),
        ({"kind": "multi_period", "config": "version: 1\n", "csv": csv}, 422, "multi_period"),
        ({"config": config, "dataset": "0" * 64}, 404, "no dataset"),
        ({"config": config, "csv": "Date,A\nnot a date,1\n"}, 422, "line 2"),
    ]
    for body, expected, words in cases:
        status, answer = app.json("POST", "/api/v1/jobs", body)
        assert status == expected, (body, answer)
        assert words in answer["detail"], (words, answer)
    status, payload, _ = app.request("POST", "/api/v1/jobs", None)
    assert status in (400, 415)
    status, answer = app.json("GET", "/api/v1/jobs/unknown")
    assert status == 404
    status, answer = app.json("DELETE", "/api/v1/jobs/unknown")
    assert status == 404


def test_delete_revokes_a_running_sweep_and_a_waiting_job(tmp_path, app_factory):
    app = app_factory("--job-threads", "1")
    _, csv = demo_inputs()
    body = {"kind": "sweep", "config": sweep_config_text(), "grid": BIG_GRID, "csv": csv}
    status, running = app.json("POST", "/api/v1/jobs", body)
    assert status == 202
    status, waiting = app.json("POST", "/api/v1/jobs", body)
    assert status == 202
    wait_until(lambda: app.json("GET", f"/api/v1/jobs/{running['id']}")[1]["progress"]["done"] > 0,
               60, "the first sweep to make progress")
    status, answer = app.json("GET", f"/api/v1/jobs/{running['id']}/result")
    assert status == 409 and answer["state"] == "STARTED"
    status, answer = app.json("DELETE", f"/api/v1/jobs/{waiting['id']}")
    assert status == 200 and answer["state"] == "REVOKED"
    status, answer = app.json("DELETE", f"/api/v1/jobs/{running['id']}")
    assert status in (200, 202), answer
    final = app.wait(running["id"], timeout=60)[-1]
    assert final["state"] == "REVOKED" and final["revoked"] == "DELETE by a client"
    assert final["progress"]["done"] < final["progress"]["total"] == 6400
    assert app.json("GET", f"/api/v1/jobs/{waiting['id']}")[1]["progress"]["done"] == 0


def test_broker_jobs_run_on_the_workers_with_the_same_bytes(tmp_path, server, workers, app_factory):
    workers("-c", "2", name="pool")
    app = app_factory("--broker", server.url(0), "--backend", server.url(1))
    check_jobs_give_the_bytes_of_runs_and_sweeps(app, tmp_path)
    status, listing = app.json("GET", "/api/v1/jobs")
    assert listing["where"] == f"on the workers of {server.url(0)}"
    # The work went through the broker: a trend.run, a trend.periods per period and the
    # sweep's chunks all have their results in the backend.
    metas = [json.loads(server.client(1).get(k)) for k in server.client(1).keys("celery-task-meta-*")]
    assert len(metas) >= 1 + 4 + 2 and all(m["status"] == "SUCCESS" for m in metas)


def test_broker_job_failure_and_revoke(tmp_path, server, workers, app_factory):
    app = app_factory("--broker", server.url(0), "--backend", server.url(1))
    _, csv = demo_inputs()
    # No worker yet: the job waits on the queue; DELETE revokes it and its tasks.
    body = {"kind": "sweep", "config": sweep_config_text(), "grid": BIG_GRID, "csv": csv}
    status, job = app.json("POST", "/api/v1/jobs", body)
    assert status == 202
    wait_until(lambda: server.client(0).llen("trend") > 0, 30, "the chunks to be queued")
    status, answer = app.json("DELETE", f"/api/v1/jobs/{job['id']}")
    assert status in (200, 202)
    assert app.wait(job["id"], timeout=30)[-1]["state"] == "REVOKED"
    revoked = [json.loads(server.client(1).get(k))["status"]
               for k in server.client(1).keys("celery-task-meta-*")]
    assert revoked and set(revoked) == {"REVOKED"}
    # A worker that fails the task: its exc_type and message reach the job.
    workers("-c", "1", name="late")
    config, _ = demo_inputs()
    status, job = app.json("POST", "/api/v1/jobs", {"config": config, "csv": csv,
                                                    "strict": False, "kind": "run"})
    assert app.wait(job["id"])[-1]["state"] == "SUCCESS"
    bad_returns = "Date,A,B\n2020-01-31,0.01,0.02\n"  # too short for the demo's windows
    status, job = app.json("POST", "/api/v1/jobs", {"config": config, "csv": bad_returns})
    assert status == 202, job
    final = app.wait(job["id"])[-1]
    assert final["state"] == "FAILURE" and final["error"]["type"] == "RunError", final
    assert "failed on a worker" in final["error"]["message"]
