"""trend worker on RabbitMQ (amqp://), a real rabbitmq-server node of the tests' own: Celery's
Python client gets our results, a SIGKILLed worker's messages go to another worker at once,
poison messages fail and the worker goes on, a broker restart loses nothing accepted, and
trend sweep --broker amqp:// writes the bytes of a local sweep. Results live in Redis."""
import json
import os
import subprocess
import time
import uuid

import pytest

from conftest import ROOT, TREND, read, trend_run_json, wait_until


@pytest.fixture
def queue():
    return "trend-" + uuid.uuid4().hex[:8]  # one per test: the node is shared by the module


@pytest.fixture
def amqp_app(rabbit, server, queue):
    from celery import Celery
    app = Celery("tests", broker=rabbit.url(), backend=server.url(1))
    app.conf.task_default_queue = queue
    app.conf.broker_connection_retry_on_startup = True
    yield app
    app.close()


def start_worker(workers, rabbit, queue, *extra, name="w"):
    w = workers("--queues", queue, *extra, name=name, broker=rabbit.url())
    wait_until(lambda: "consuming" in w.log(), 30, f"worker {name} to start")
    return w


def test_celery_client_gets_trend_run_json(tmp_path, rabbit, workers, amqp_app, queue):
    start_worker(workers, rabbit, queue, "-c", "2")
    assert amqp_app.send_task("trend.ping").get(timeout=30) == "pong"
    result = amqp_app.send_task("trend.run", kwargs={"config": read("config/demo.yml"),
                                                     "csv": read("demo/demo_returns.csv")})
    assert result.get(timeout=60) == trend_run_json(tmp_path)
    noops = [amqp_app.send_task("bench.noop", args=[i]) for i in range(200)]
    assert [r.get(timeout=60) for r in noops] == list(range(200))


def test_poison_messages_fail_and_the_worker_goes_on(rabbit, workers, amqp_app, queue, server):
    worker = start_worker(workers, rabbit, queue, "-c", "1")
    import kombu
    with kombu.Connection(rabbit.url()) as connection:
        producer = connection.Producer()
        exchange = kombu.Exchange(queue, type="direct", durable=True)
        bad_id = str(uuid.uuid4())
        producer.publish(b"{not json", exchange=exchange, routing_key=queue, declare=[
            kombu.Queue(queue, exchange, routing_key=queue, durable=True)],
            content_type="application/json", content_encoding="utf-8",
            headers={"task": "trend.run", "id": bad_id, "lang": "py"})
    unknown = amqp_app.send_task("trend.no_such_task")
    missing = amqp_app.send_task("trend.run", kwargs={"csv": "Date,A\n2020-01-31,0.01\n"})
    bad_config = amqp_app.send_task("trend.run", kwargs={"config": "portfolio: [", "csv": "x"})
    for r, kind in ((unknown, "NotRegistered"), (missing, "TypeError"), (bad_config, "ConfigError")):
        with pytest.raises(Exception) as failure:
            r.get(timeout=30)
        assert type(failure.value).__name__ == kind, failure.value
    meta = json.loads(server.client(1).get(f"celery-task-meta-{bad_id}"))
    assert meta["status"] == "FAILURE" and "malformed JSON" in meta["result"]["exc_message"][0]
    assert amqp_app.send_task("trend.ping").get(timeout=30) == "pong"
    assert worker.proc.poll() is None


def test_sigkilled_worker_messages_go_to_another_at_once(rabbit, workers, amqp_app, queue, server):
    run = "kill-" + uuid.uuid4().hex
    first = start_worker(workers, rabbit, queue, "-c", "1", "--prefetch", "4", name="first")
    results = [amqp_app.send_task("bench.record", args=[i, run, 20]) for i in range(120)]
    ledger = server.client(2)
    wait_until(lambda: ledger.llen("bench:exec:" + run) >= 30, 60, "30 tasks executed")
    first.kill()
    killed_at = time.monotonic()
    stored = {r.id for r in results if r.state == "SUCCESS"}
    start_worker(workers, rabbit, queue, "-c", "1", name="second")
    wait_until(lambda: all(r.ready() for r in results), 60, "every result", step=0.1)
    all_done = time.monotonic() - killed_at
    assert [r.get(timeout=10) for r in results] == list(range(120))  # nothing lost
    executed = [int(x) for x in ledger.lrange("bench:exec:" + run, 0, -1)]
    twice = {i for i in set(executed) if executed.count(i) > 1}
    completed = {i for i, r in enumerate(results) if r.id in stored}
    assert not (twice & completed), "a task whose result was stored ran again"
    assert len(twice) <= 4  # at most what the dead worker held (its prefetch)
    # RabbitMQ puts a dead connection's messages back at once: no visibility timeout to wait
    # out (the second worker's start included; 90 tasks of 20 ms left).
    assert all_done < 15, all_done


def test_sweep_over_rabbitmq_writes_the_bytes_of_a_local_sweep(tmp_path, rabbit, workers, server,
                                                                queue):
    start_worker(workers, rabbit, queue, "-c", "2")
    grid = tmp_path / "grid.yml"
    grid.write_text("portfolio.rank.n: [2, 4, 8]\nportfolio.weighting_scheme: [equal, hrp, erc]\n")
    config = os.path.join(ROOT, "config", "sweeps", "demo_sweep.yml")
    outputs = []
    for name, extra in (("local", []), ("spread", ["--broker", rabbit.url(), "--backend",
                                                   server.url(1), "--queue", queue])):
        out = tmp_path / name
        done = subprocess.run([TREND, "sweep", "-c", config, "--grid", str(grid), "--out", str(out),
                               *extra], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs.append(((out / "results.csv").read_bytes(), (out / "results.jsonl").read_bytes()))
    assert outputs[0] == outputs[1]
    # Without --backend an amqp:// broker has nowhere to keep results: said at once.
    done = subprocess.run([TREND, "sweep", "-c", config, "--grid", str(grid), "--out",
                           str(tmp_path / "x"), "--broker", rabbit.url()],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "give --backend redis://" in done.stderr, done.stderr


def test_broker_restart_loses_nothing_accepted(rabbit, workers, amqp_app, queue, server):
    worker = start_worker(workers, rabbit, queue, "-c", "1", "--prefetch", "2")
    run = "restart-" + uuid.uuid4().hex
    ids = [amqp_app.send_task("bench.record", args=[i, run, 10]).id for i in range(100)]
    ledger = server.client(2)
    wait_until(lambda: ledger.llen("bench:exec:" + run) >= 10, 60, "10 tasks executed")
    rabbit.stop()
    rabbit.start()  # durable queue, persistent messages: what was accepted is still there
    from celery import Celery
    from celery.result import AsyncResult
    app = Celery("after", broker=rabbit.url(), backend=server.url(1))
    results = [AsyncResult(i, app=app) for i in ids]
    wait_until(lambda: all(r.ready() for r in results), 120, "every result", step=0.2)
    assert [r.get(timeout=10) for r in results] == list(range(100))
    assert worker.proc.poll() is None, "the worker survived the restart"
    assert "reconnected" in worker.log()
