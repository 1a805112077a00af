"""trend sweep --broker: the grid spread over trend worker processes on a real Redis writes the
same bytes as a local sweep; a client that stops revokes what is left; --scaling times worker
processes it starts itself."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import ROOT, TREND, wait_until

DEMO_CONFIG = os.path.join(ROOT, "config", "sweeps", "demo_sweep.yml")
# 3 x 2 x 4 x 3 = 72 configurations: every axis changes the result.
GRID = """portfolio.rank.n: [2, 4, 8]
vol_adjust.target_vol: [0.08, 0.12]
portfolio.weighting_scheme: [equal, risk_parity, hrp, erc]
vol_adjust.window.length: [12, 36, 60]
"""
MULTI_GRID = """mode: multi_period
portfolio.rank.n: [3, 6]
multi_period.out_sample_len: [6, 12]
"""


def sweep(tmp_path, name, grid_text, *extra, config=DEMO_CONFIG):
    grid = tmp_path / f"{name}-grid.yml"
    grid.write_text(grid_text)
    out = tmp_path / name
    done = subprocess.run([TREND, "sweep", "-c", config, "--grid", str(grid), "--out", str(out),
                           *extra], capture_output=True, text=True, timeout=120)
    return done, out


def results(out):
    return (out / "results.csv").read_bytes(), (out / "results.jsonl").read_bytes()


@pytest.mark.parametrize("chunk", [None, "7"])
def test_distributed_sweep_writes_the_bytes_of_a_local_one(tmp_path, server, workers, chunk):
    workers(name="a")
    workers(name="b")
    local, local_out = sweep(tmp_path, "local", GRID)
    assert local.returncode == 0, local.stderr
    extra = ["--broker", server.url(0), "--backend", server.url(1)] + (["--chunk", chunk] if chunk else [])
    spread, spread_out = sweep(tmp_path, "spread", GRID, *extra)
    assert spread.returncode == 0, spread.stderr
    assert results(spread_out) == results(local_out)
    assert len(results(local_out)[0].splitlines()) == 1 + 72
    assert "by the workers on redis://127.0.0.1" in spread.stdout
    # One result per chunk: 72 configurations in 8 tasks of 9 (an eighth of a small grid), or
    # 11 of at most 7.
    assert len(server.client(1).keys("celery-task-meta-*")) == (8 if chunk is None else 11)


def test_distributed_multi_period_sweep_matches(tmp_path, server, workers):
    config = tmp_path / "multi.yml"
    text = open(DEMO_CONFIG).read().replace("../../demo/", os.path.join(ROOT, "demo") + "/")
    config.write_text(text + "multi_period:\n  frequency: ME\n  in_sample_len: 36\n"
                      "  out_sample_len: 12\n  start: 2018-01\n  end: 2024-12\n")
    workers(name="a")
    local, local_out = sweep(tmp_path, "local", MULTI_GRID, config=str(config))
    assert local.returncode == 0, local.stderr
    spread, spread_out = sweep(tmp_path, "spread", MULTI_GRID, "--broker", server.url(0),
                               "--backend", server.url(1), config=str(config))
    assert spread.returncode == 0, spread.stderr
    assert results(spread_out) == results(local_out)


def test_a_stopped_client_revokes_its_chunks(tmp_path, server, workers):
    grid = tmp_path / "grid.yml"
    grid.write_text(GRID)
    out = tmp_path / "stopped"
    # No worker yet: every chunk waits in the queue.
    client = subprocess.Popen([TREND, "sweep", "-c", DEMO_CONFIG, "--grid", str(grid), "--out",
                               str(out), "--broker", server.url(0), "--backend", server.url(1),
                               "--chunk", "8"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    broker, backend = server.client(0), server.client(1)
    wait_until(lambda: broker.llen("trend") == 9, 20, "the 9 chunks in the queue")
    client.send_signal(signal.SIGINT)
    _, err = client.communicate(timeout=30)
    assert client.returncode == 130, err
    assert "interrupted by SIGINT after 0 of 72 configurations" in err
    assert (out / "results.csv").read_text().count("\n") == 1  # the header, whole
    metas = [json.loads(backend.get(k)) for k in backend.keys("celery-task-meta-*")]
    assert len(metas) == 9 and all(m["status"] == "REVOKED" for m in metas)
    # A worker that starts now takes the messages and runs none of them.
    worker = workers(name="late")
    wait_until(lambda: broker.llen("trend") == 0, 20, "the worker to take the chunks")
    time.sleep(0.5)
    metas = [json.loads(backend.get(k)) for k in backend.keys("celery-task-meta-*")]
    assert all(m["status"] == "REVOKED" for m in metas)
    assert worker.stop() == 0


def test_scaling_over_worker_processes_fits_amdahl(tmp_path, server):
    done, _ = sweep(tmp_path, "scaling", GRID, "--broker", server.url(0), "--scaling",
                    "--workers", "2", "--scaling-sample", "48", "--chunk", "4")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.split()[:1] == ["1"] for line in lines)
    assert any(line.split()[:1] == ["2"] for line in lines)
    assert "Processes" in done.stdout and "P = " in done.stdout
    # Its workers are gone with it.
    assert subprocess.run(["pgrep", "-f", "trend.scaling."], capture_output=True).stdout == b""


def test_broker_flags_that_do_not_apply_say_so(tmp_path, server, workers):
    workers(name="a")
    done, _ = sweep(tmp_path, "flags", GRID, "--broker", server.url(0), "--backend", server.url(1),
                    "--threads", "3",
                    "--max-cells", "1000000000")
    assert done.returncode == 0, done.stderr
    assert "--threads has no effect with --broker" in done.stderr
    assert "--max-cells has no effect with --broker" in done.stderr
    done, _ = sweep(tmp_path, "local-flags", GRID, "--chunk", "5", "-q")
    assert "--chunk has no effect without --broker" in done.stderr


def test_returns_from_a_database_are_sent_as_the_same_numbers(tmp_path, server, workers):
    # The demo returns loaded by `trend ingest` (data.source): the client reads the database
    # and sends the panel as CSV; the rows match the local sweep on the same database.
    wide = open(os.path.join(ROOT, "demo", "demo_returns.csv")).read().splitlines()
    names = wide[0].split(",")
    long_rows = ["date,fund,return"]
    for line in wide[1:]:
        cells = line.split(",")
        long_rows += [f"{cells[0]},{names[i]},{cells[i]}" for i in range(1, len(cells))]
    (tmp_path / "long.csv").write_text("\n".join(long_rows) + "\n")
    db = tmp_path / "demo.db"
    loaded = subprocess.run([TREND, "ingest", "-q", "--db", str(db), "--format", "returns",
                             str(tmp_path / "long.csv")], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    config = tmp_path / "db.yml"
    config.write_text(open(DEMO_CONFIG).read().replace("csv_path: ../../demo/demo_returns.csv",
                                                       f"source: sqlite://{db}"))
    workers(name="a")
    local, local_out = sweep(tmp_path, "local", GRID, config=str(config))
    assert local.returncode == 0, local.stderr
    spread, spread_out = sweep(tmp_path, "spread", GRID, "--broker", server.url(0), "--backend",
                               server.url(1), config=str(config))
    assert spread.returncode == 0, spread.stderr
    assert results(spread_out) == results(local_out)


def run_json(tmp_path, name, config, *extra):
    out = tmp_path / f"{name}.json"
    done = subprocess.run([TREND, "run", "--multi-period", "-c", str(config), "--json", str(out),
                           "-q", "--no-export", *extra], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return out.read_bytes(), done.stderr


def test_multi_period_run_over_workers_is_the_local_document(tmp_path, server, workers):
    # 23 quarterly periods with costs (turnover chains each period to the one before it).
    text = open(DEMO_CONFIG).read().replace("../../demo/", os.path.join(ROOT, "demo") + "/")
    text = text.replace("transaction_cost_bps: 0", "transaction_cost_bps: 25")
    config = tmp_path / "quarterly.yml"
    config.write_text(text + "multi_period:\n  frequency: ME\n  in_sample_len: 24\n"
                      "  out_sample_len: 3\n  start: 2015-01\n  end: 2024-12\n")
    workers(name="a")
    workers(name="b")
    spread_flags = ["--broker", server.url(0), "--backend", server.url(1)]
    for extra in ([], ["--seed", "7"]):
        local, _ = run_json(tmp_path, "local", config, *extra)
        spread, _ = run_json(tmp_path, "spread", config, *extra, *spread_flags)
        assert spread == local
        assert len(json.loads(local)["periods"]) > 20
    demo = os.path.join(ROOT, "config", "demo.yml")
    assert run_json(tmp_path, "demo-spread", demo, *spread_flags)[0] == \
        run_json(tmp_path, "demo-local", demo)[0]
    # One task per period went through the backend.
    assert len(server.client(1).keys("celery-task-meta-*")) >= 2 * 23


def test_threshold_hold_periods_stay_local_and_say_so(tmp_path, server):
    text = open(DEMO_CONFIG).read().replace("../../demo/", os.path.join(ROOT, "demo") + "/")
    text = text.replace("portfolio:\n", "portfolio:\n  policy: threshold_hold\n", 1)
    config = tmp_path / "hold.yml"
    config.write_text(text + "multi_period:\n  frequency: ME\n  in_sample_len: 36\n"
                      "  out_sample_len: 12\n  start: 2018-01\n  end: 2024-12\n")
    local, _ = run_json(tmp_path, "local", config)
    # No worker runs: the periods must not be waiting for one.
    spread, err = run_json(tmp_path, "spread", config, "--broker", server.url(0))
    assert spread == local
    assert "--broker has no effect with portfolio.policy: threshold_hold" in err
