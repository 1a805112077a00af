"""Fixtures for trend worker's interop tests: a real redis-server on a free loopback port in a
temp dir, trend worker processes, and Celery's own Python client (Debian's python3-celery)."""
import gc
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
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            # A server still starting on a busy machine may take longer than 0.2 s to answer
            # (this failed a CI run): ask again until the deadline.
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def url(self, db):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db):
        return redis.Redis(port=self.port, db=db)


class RabbitServer:
    """rabbitmq-server as a node of its own: its name, AMQP, distribution and epmd ports, and
    every directory (data, logs, config, the Erlang cookie's home) in a temp dir."""

    def __init__(self, directory):
        self.dir = str(directory)
        self.port = free_port()
        self.name = f"trendtest{self.port}@localhost"
        with open(os.path.join(self.dir, "rabbitmq.conf"), "w") as f:
            f.write(f"listeners.tcp.1 = 127.0.0.1:{self.port}\nloopback_users.guest = true\n")
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[].\n")
        self.env = dict(os.environ, HOME=self.dir, RABBITMQ_NODENAME=self.name,
                        RABBITMQ_NODE_PORT=str(self.port), RABBITMQ_DIST_PORT=str(free_port()),
                        ERL_EPMD_PORT=str(free_port()), ERL_EPMD_ADDRESS="127.0.0.1",
                        RABBITMQ_MNESIA_BASE=os.path.join(self.dir, "mnesia"),
                        RABBITMQ_LOG_BASE=os.path.join(self.dir, "log"), RABBITMQ_LOGS="-",
                        RABBITMQ_CONFIG_FILE=os.path.join(self.dir, "rabbitmq"),
                        RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(self.dir, "enabled_plugins"),
                        RABBITMQ_PID_FILE=os.path.join(self.dir, "rabbitmq.pid"))
        # The node's own epmd, in the foreground: stopped with the node, never shared.
        self.epmd = subprocess.Popen(["epmd", "-port", self.env["ERL_EPMD_PORT"], "-address",
                                      "127.0.0.1"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(["/usr/lib/rabbitmq/bin/rabbitmq-server"], env=self.env,
                                     stdout=open(os.path.join(self.dir, "rabbit.log"), "a"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self.answers, 90, "rabbitmq-server to start", step=0.2)

    def answers(self):
        if self.proc.poll() is not None:
            raise AssertionError("rabbitmq-server exited: " + self.log()[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"AMQP\x00\x00\x09\x01")
                return len(s.recv(8)) > 0  # connection.start: the node is serving AMQP
        except OSError:
            return False

    def log(self):
        with open(os.path.join(self.dir, "rabbit.log"), errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def close(self):
        self.stop()
        self.epmd.kill()
        self.epmd.wait(10)

    def url(self):
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"


class Worker:
    def __init__(self, server, directory, *extra, name="w", broker=None):
        self.log_path = os.path.join(directory, f"worker-{name}-{time.monotonic_ns()}.log")
        env = dict(os.environ, BENCH_LEDGER_URL=server.url(2), TMPDIR=str(directory))
        self.proc = subprocess.Popen(
            [TREND, "worker", "--broker", broker or server.url(0), "--backend", server.url(1),
             "--bench-tasks", "--name", name, *extra],
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


@pytest.fixture(scope="module")
def rabbit(tmp_path_factory):
    r = RabbitServer(tmp_path_factory.mktemp("rabbit"))
    yield r
    r.close()


@pytest.fixture
def workers(server, tmp_path):
    started = []

    def start(*extra, name="w", broker=None):
        w = Worker(server, tmp_path, *extra, name=name, broker=broker)
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
    # A result finalised after its server stopped retries the backend; keep that short.
    app.conf.result_backend_transport_options = {"retry_policy": {"max_retries": 2, "interval_start": 0,
                                                                  "interval_step": 0.2, "interval_max": 0.5}}
    yield app
    # This test's AsyncResults unsubscribe now, while their redis-server still runs: left to a
    # later garbage collection, one stalled the next test's setup for 20 s of reconnects.
    gc.collect()
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
