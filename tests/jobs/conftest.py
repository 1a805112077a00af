"""Fixtures for trend worker's interop tests: a real redis-server on a free loopback port in a
temp dir, trend worker processes, and Celery's own Python client (Debian's python3-celery)."""
import hashlib
import json
import os
import signal
import socket
import subprocess
import time

import pytest
import redis

TREND = os.environ.get("TREND_BIN", "build/release/src/cli/trend")
ROOT = os.environ.get("TREND_SOURCE_DIR", os.getcwd())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class RedisServer:
    def __init__(self, directory):
        self.dir = directory
        self.port = free_port()
        self.proc = None
        self.start()

    def start(self):
        # appendonly: what the broker accepted survives its restart (the restart test).
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "no"],
            stdout=open(os.path.join(self.dir, "redis.log"), "a"), stderr=subprocess.STDOUT)
        wait_until(self.answers, 10, "redis-server to start")

    def answers(self):
        try:
            return redis.Redis(port=self.port, socket_timeout=0.2).ping()
        except redis.exceptions.ConnectionError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def url(self, db):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db):
        return redis.Redis(port=self.port, db=db)


class Worker:
    def __init__(self, server, directory, *extra, name="w"):
        self.log_path = os.path.join(directory, f"worker-{name}-{time.monotonic_ns()}.log")
        env = dict(os.environ, BENCH_LEDGER_URL=server.url(2), TMPDIR=str(directory))
        self.proc = subprocess.Popen(
            [TREND, "worker", "--broker", server.url(0), "--backend", server.url(1), "--bench-tasks",
             "--name", name, *extra],
            stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"), env=env,
            start_new_session=True)  # its own process group: SIGKILL takes its children too

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout)
        return self.proc.returncode


@pytest.fixture
def server(tmp_path):
    s = RedisServer(tmp_path)
    yield s
    s.stop()


@pytest.fixture
def workers(server, tmp_path):
    started = []

    def start(*extra, name="w"):
        w = Worker(server, tmp_path, *extra, name=name)
        started.append(w)
        return w

    yield start
    for w in started:
        if w.proc.poll() is None:
            w.kill()


@pytest.fixture
def celery_app(server):
    from celery import Celery
    app = Celery("tests", broker=server.url(0), backend=server.url(1))
    app.conf.task_default_queue = "trend"
    app.conf.broker_connection_retry_on_startup = True
    yield app
    app.close()


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def trend_run_json(tmp_path, *extra):
    out = os.path.join(tmp_path, f"local-{len(extra)}.json")
    subprocess.run([TREND, "run", "-c", os.path.join(ROOT, "config/demo.yml"), "--json", out, "--no-export",
                    "-q", *extra], check=True, cwd=ROOT)
    with open(out) as f:
        return json.load(f)


def dataset_id(csv):
    return hashlib.sha256(csv.encode()).hexdigest()
