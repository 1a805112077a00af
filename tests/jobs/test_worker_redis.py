"""trend worker on a real Redis, driven by Celery's own Python client: results equal to
`trend run --json`, poison messages, duplicates, a SIGKILLed worker, a broker restart."""
import base64
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest
from celery.result import AsyncResult

from conftest import ROOT, dataset_id, read, trend_run_json, wait_until


def metrics(worker):
    port = int(re.search(r"127\.0\.0\.1:(\d+)/metrics", worker.log()).group(1))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(trend_\w+) ([0-9.]+)$", text, re.M)}


def started_metrics(worker):
    wait_until(lambda: "/metrics" in worker.log(), 10, "the metrics address in the log")
    return worker


def test_run_and_multi_period_equal_trend_run_json(workers, celery_app, tmp_path):
    workers("-c", "1")
    config, csv = read("config/demo.yml"), read("demo/demo_returns.csv")
    single = celery_app.send_task("trend.run", kwargs={"config": config, "csv": csv}).get(timeout=60)
    assert single == trend_run_json(tmp_path)
    multi = celery_app.send_task("trend.run", kwargs={"config": config, "csv": csv, "multi_period": True})
    assert multi.get(timeout=60) == trend_run_json(tmp_path, "--multi-period")
    assert celery_app.send_task("trend.ping").get(timeout=10) == "pong"


def test_dataset_by_id_and_config_as_object(server, workers, celery_app, tmp_path):
    workers("-c", "1")
    import yaml
    csv = read("demo/demo_returns.csv")
    server.client(1).set("trend-dataset-" + dataset_id(csv), csv)
    config = yaml.safe_load(read("config/demo.yml"))
    result = celery_app.send_task("trend.run", kwargs={"config": config, "dataset": dataset_id(csv)})
    assert result.get(timeout=60) == trend_run_json(tmp_path)
    missing = celery_app.send_task("trend.run", kwargs={"config": config, "dataset": "0" * 64})
    with pytest.raises(Exception) as error:
        missing.get(timeout=30)
    assert type(error.value).__name__ == "DatasetNotFound"


def test_progress_is_reported(server, workers, celery_app):
    workers("-c", "1")
    task_id = str(uuid.uuid4())
    pubsub = server.client(1).pubsub()
    pubsub.subscribe("celery-task-meta-" + task_id)
    result = celery_app.send_task("trend.run", task_id=task_id, kwargs={
        "config": read("config/demo.yml"), "csv": read("demo/demo_returns.csv"), "multi_period": True})
    result.get(timeout=60)
    states = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not states or states[-1]["status"] != "SUCCESS"):
        message = pubsub.get_message(timeout=1)
        if message and message["type"] == "message":
            states.append(json.loads(message["data"]))
    progress = [s["result"] for s in states if s["status"] == "PROGRESS"]
    assert progress, states
    assert progress[-1]["done"] == progress[-1]["total"] > 1


def test_poison_messages_fail_and_the_worker_keeps_running(server, workers, celery_app):
    worker = started_metrics(workers("-c", "1", "--metrics-port", "0"))
    broker = server.client(0)
    # Not JSON at all: no id to answer, a log line and a count.
    broker.lpush("trend", b"{this is not json")
    # A well-formed envelope whose body is not JSON: a FAILURE for its id.
    bad_id = str(uuid.uuid4())
    envelope = {"body": base64.b64encode(b"[[], {oops").decode(), "content-encoding": "utf-8",
                "content-type": "application/json",
                "headers": {"lang": "py", "task": "trend.run", "id": bad_id, "root_id": bad_id},
                "properties": {"correlation_id": bad_id, "delivery_info": {"exchange": "", "routing_key": "trend"},
                               "body_encoding": "base64", "delivery_tag": str(uuid.uuid4()), "priority": 0,
                               "delivery_mode": 2}}
    broker.lpush("trend", json.dumps(envelope))
    unknown = celery_app.send_task("trend.no_such_task")
    missing = celery_app.send_task("trend.run", kwargs={"csv": "Date,A\n"})
    bad_config = celery_app.send_task("trend.run", kwargs={
        "config": "portfolio:\n  weighting_scheme: [unclosed\n", "csv": read("demo/demo_returns.csv")})
    wrong_value = celery_app.send_task("trend.run", kwargs={
        "config": {"portfolio": {"rank": {"n": "abc"}}}, "csv": read("demo/demo_returns.csv")})
    expected = [(AsyncResult(bad_id, app=celery_app), "PoisonMessage", "malformed JSON body"),
                (unknown, "NotRegistered", "trend.no_such_task"),
                (missing, "TypeError", "missing keyword argument 'config'"),
                (bad_config, "ConfigError", "config"),
                (wrong_value, "ConfigError", "portfolio.rank.n = 'abc': expected a number")]
    for result, kind, text in expected:
        with pytest.raises(Exception) as error:
            result.get(timeout=30)
        assert type(error.value).__name__ == kind, (kind, error.value)
        assert text in str(error.value), (text, str(error.value))
        assert result.state == "FAILURE"
    assert celery_app.send_task("trend.ping").get(timeout=10) == "pong"
    assert worker.proc.poll() is None
    assert "not json" in worker.log() or "malformed JSON message" in worker.log()
    counts = metrics(worker)
    assert counts["trend_worker_tasks_poison_total"] == 3  # no-JSON, bad body, unknown name
    assert counts["trend_worker_tasks_failed_total"] == 3  # missing field, two bad configs


def test_duplicate_delivery_runs_once(server, workers, celery_app):
    worker = started_metrics(workers("-c", "1", "--metrics-port", "0"))
    task_id = str(uuid.uuid4())
    run = "dup-" + task_id
    first = celery_app.send_task("bench.record", args=[1, run, 0], task_id=task_id)
    assert first.get(timeout=10) == 1
    # The same task delivered again (a producer retrying its publish), after it completed...
    again = celery_app.send_task("bench.record", args=[1, run, 0], task_id=task_id)
    # ...and twice at once, while it is running.
    twin_id = str(uuid.uuid4())
    twin_run = "twin-" + twin_id
    celery_app.send_task("bench.record", args=[2, twin_run, 300], task_id=twin_id)
    celery_app.send_task("bench.record", args=[2, twin_run, 300], task_id=twin_id)
    assert again.get(timeout=10) == 1
    assert AsyncResult(twin_id, app=celery_app).get(timeout=10) == 2
    ledger = server.client(2)
    wait_until(lambda: metrics(worker)["trend_worker_tasks_duplicate_total"] >= 2, 10, "duplicates counted")
    assert ledger.lrange("bench:exec:" + run, 0, -1) == [b"1"]
    assert ledger.lrange("bench:exec:" + twin_run, 0, -1) == [b"2"]


def test_sigkilled_worker_loses_nothing_and_repeats_nothing_completed(server, workers, celery_app):
    visibility = 3
    run = "kill-" + uuid.uuid4().hex
    first = workers("-c", "1", "--prefetch", "4", "--visibility-timeout", str(visibility), name="first")
    results = [celery_app.send_task("bench.record", args=[i, run, 20]) for i in range(150)]
    ledger = server.client(2)
    wait_until(lambda: ledger.llen("bench:exec:" + run) >= 40, 30, "40 tasks executed")
    first.kill()
    killed_at = time.monotonic()
    # What the dead worker held: taken from the queue, not acknowledged (kombu's unacked hash).
    held = server.client(0).hlen("unacked")
    stored = {r.id for r in results if r.state == "SUCCESS"}
    workers("-c", "1", "--visibility-timeout", str(visibility), name="second")
    # Polled with ready() (a GET each): Celery 5.2's get() on a result stored before it
    # subscribed waits up to a second for each.
    wait_until(lambda: all(r.ready() for r in results), 60, "every result", step=0.2)
    all_done = time.monotonic() - killed_at
    values = [r.get(timeout=10) for r in results]
    assert values == list(range(150))  # nothing lost
    executed = [int(x) for x in ledger.lrange("bench:exec:" + run, 0, -1)]
    assert set(executed) == set(range(150))
    twice = {i for i in set(executed) if executed.count(i) > 1}
    completed_before_kill = {i for i, r in enumerate(results) if r.id in stored}
    assert not (twice & completed_before_kill), "a task whose result was stored ran again"
    assert len(twice) <= 4  # at most the messages the dead worker held (its prefetch)
    # Redelivery: the dead worker's unacknowledged messages ran again within the visibility
    # timeout (+ 1 s for the restore check, + slack for this shared 2-core machine).
    # (A kill between two tasks leaves only prefetched messages, none of them started.)
    assert held > 0, "the kill left no message in flight"
    assert all_done < visibility + 1 + 5 + 150 * 0.02


def test_broker_restart_is_survived(server, workers, celery_app):
    worker = workers("-c", "1", "--prefetch", "2")
    run = "restart-" + uuid.uuid4().hex
    ids = [celery_app.send_task("bench.record", args=[i, run, 10]).id for i in range(100)]
    ledger = server.client(2)
    wait_until(lambda: ledger.llen("bench:exec:" + run) >= 10, 30, "10 tasks executed")
    server.stop()
    time.sleep(1.5)
    server.start()
    from celery import Celery
    app = Celery("after", broker=server.url(0), backend=server.url(1))
    results = [AsyncResult(i, app=app) for i in ids]
    try:
        wait_until(lambda: all(r.ready() for r in results), 60, "every result", step=0.2)
    except AssertionError as timeout:
        # What a flaky failure needs to be understood: which tasks, where their messages are.
        broker = server.client(0)
        missing = [i for i, r in enumerate(results) if not r.ready()]
        executed = sorted(int(x) for x in ledger.lrange("bench:exec:" + run, 0, -1))
        raise AssertionError(
            f"{timeout}: not ready {missing}; executed {executed}; queue {broker.llen('trend')}"
            f" messages; unacked {broker.hkeys('unacked')}; worker log:\n{worker.log()[-4000:]}")
    values = [r.get(timeout=10) for r in results]
    assert values == list(range(100))
    assert worker.proc.poll() is None
    assert "reconnecting" in worker.log() and "reconnected" in worker.log()


class FetchReplyDropper:
    """A TCP proxy to Redis that, once, passes a fetch of the queue "trend" on and then closes
    both sides before its reply comes back: what a Redis that stops just after running a
    command does (its last replies are never sent)."""

    def __init__(self, redis_port):
        self.redis_port = redis_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.dropped = threading.Event()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.redis_port))
            threading.Thread(target=self.pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client, False), daemon=True).start()

    def pump(self, source, target, from_client):
        try:
            while data := source.recv(65536):
                target.sendall(data)
                if from_client and not self.dropped.is_set() and b"EVALSHA" in data and b"\r\ntrend\r\n" in data:
                    self.dropped.set()
                    source.shutdown(socket.SHUT_RDWR)  # the worker's side: no reply reaches it
                    time.sleep(0.3)  # while the server runs the fetch
                    return
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()


def test_a_fetch_whose_reply_was_lost_is_put_back_at_once(server, workers, celery_app):
    # Queued first, so that the worker's first fetch takes it and its reply is the one lost.
    result = celery_app.send_task("trend.ping")
    proxy = FetchReplyDropper(server.port)
    try:
        worker = workers("-c", "1", "--visibility-timeout", "3600",
                         broker=f"redis://127.0.0.1:{proxy.port}/0")
        # Not after the hour of the visibility timeout: the worker puts back what that fetch took.
        assert result.get(timeout=30) == "pong"
        assert proxy.dropped.is_set()
        # The worker says so once its new connection is up, which may come after the result.
        wait_until(lambda: "reconnected" in worker.log(), 5, "the worker's reconnection")
        wait_until(lambda: server.client(0).hlen("unacked") == 0, 5, "the acknowledgement")
    finally:
        proxy.close()


def test_stop_hands_prefetched_messages_back(server, workers, celery_app):
    first = workers("-c", "1", "--prefetch", "50", name="first")
    run = "stop-" + uuid.uuid4().hex
    results = [celery_app.send_task("bench.record", args=[i, run, 50]) for i in range(30)]
    ledger = server.client(2)
    wait_until(lambda: ledger.llen("bench:exec:" + run) >= 2, 30, "2 tasks executed")
    assert first.stop() == 0
    executed = ledger.llen("bench:exec:" + run)
    assert server.client(0).llen("trend") >= 30 - executed - 1  # back on the queue at once
    workers("-c", "1", name="second")
    wait_until(lambda: all(r.ready() for r in results), 60, "every result", step=0.2)
    assert [r.get(timeout=10) for r in results] == list(range(30))
    executed = [int(x) for x in ledger.lrange("bench:exec:" + run, 0, -1)]
    assert sorted(executed) == list(range(30))  # nothing twice: the stop was clean


def test_concurrency_restarts_a_dead_process(server, workers, celery_app):
    worker = workers("-c", "2")
    wait_until(lambda: "2 processes" in worker.log(), 10, "the start line")
    assert celery_app.send_task("trend.ping").get(timeout=10) == "pong"
    import subprocess
    children = subprocess.run(["pgrep", "-P", str(worker.proc.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 2
    os.kill(int(children[0]), 9)
    wait_until(lambda: "starting another" in worker.log(), 10, "the supervisor to restart it")
    results = [celery_app.send_task("bench.noop", args=[i]) for i in range(50)]
    assert [r.get(timeout=30) for r in results] == list(range(50))


def test_celery_inspect_ping_gets_pong_from_every_process(server, workers, celery_app):
    workers("-c", "2", name="pinged")
    wait_until(lambda: len(celery_app.control.ping(timeout=0.5)) == 2, 30, "two pongs")
    replies = celery_app.control.inspect(timeout=1.0).ping()
    assert list(replies.values()) == [{"ok": "pong"}] * 2
    assert all(name.startswith("pinged.") for name in replies)
    one = sorted(replies)[0]
    assert celery_app.control.ping(destination=[one], timeout=1.0) == [{one: {"ok": "pong"}}]
    # A command we do not implement is answered as Celery answers an unknown one.
    active = celery_app.control.inspect(timeout=1.0).active()
    assert all("No such control command" in r["error"] for r in active.values())
    # And Celery's own command line.
    done = subprocess.run(["/usr/bin/python3", "-m", "celery", "-b", server.url(0), "inspect", "ping",
                           "-t", "2"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.count("pong") == 2, done.stdout + done.stderr


def test_countdown_and_eta_wait_expires_is_revoked(server, workers, celery_app):
    import datetime
    from celery.exceptions import TaskRevokedError
    worker = workers("-c", "1", name="eta")
    sent = time.monotonic()
    later = celery_app.send_task("bench.noop", args=["later"], countdown=2)
    at = celery_app.send_task(
        "bench.noop", args=["at"],
        eta=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1))
    now = [celery_app.send_task("bench.noop", args=[i]) for i in range(5)]
    # Held tasks do not hold up the others.
    assert [r.get(timeout=30) for r in now] == list(range(5))
    assert not later.ready()
    assert at.get(timeout=30) == "at"
    assert later.get(timeout=30) == "later"
    assert time.monotonic() - sent >= 1.9
    # Past its expiry a task is not run: REVOKED, as Celery's worker does.
    expired = celery_app.send_task("bench.noop", args=["x"], countdown=1, expires=0.5)
    with pytest.raises(TaskRevokedError):
        expired.get(timeout=30)
    # A stopping worker hands a held task back to the queue at once.
    held = celery_app.send_task("bench.noop", args=["held"], countdown=60)
    wait_until(lambda: server.client(0).llen("trend") == 0, 10, "the worker to take it")
    assert worker.stop() == 0
    assert server.client(0).llen("trend") == 1 and server.client(0).hlen("unacked") == 0
