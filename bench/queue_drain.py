#!/usr/bin/python3
"""Drain benchmark for trend worker: a Redis queue pre-filled with Celery messages (protocol 2,
exactly as Celery's send_task writes them, pushed in pipelines so the producer is not the
limit), drained by worker processes; the clock runs from the worker's start until every result
is stored. Side by side in one run, on one redis-server of its own (free loopback port):

  trivial   N bench.noop tasks: trend worker, 1 process; and Celery's worker (prefork, 1
            process) on a smaller N, since it takes ~1.4 ms per task
  analyses  M trend.run tasks on the demo data (dataset by id), 1 and 2 trend worker processes

Usage: bench/queue_drain.py TREND_BINARY [--tasks N] [--celery-tasks N] [--analyses M]
Prints a markdown table (and writes it with --out FILE). Needs Debian's redis-server and
python3-celery (scripts/bootstrap.sh installs both).
"""
import argparse
import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_cpu(pid):
    """User + system CPU seconds of pid and its descendants (children reaped count too)."""
    total = 0.0
    pids = [pid]
    seen = set()
    while pids:
        p = pids.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / CLK  # utime stime cutime cstime
            with open(f"/proc/{p}/task/{p}/children") as f:
                pids.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def envelope(task, args, kwargs, queue):
    task_id = str(uuid.uuid4())
    body = json.dumps([args, kwargs, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])
    return json.dumps({
        "body": base64.b64encode(body.encode()).decode(), "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {"lang": "py", "task": task, "id": task_id, "shadow": None, "eta": None, "expires": None,
                    "group": None, "group_index": None, "retries": 0, "timelimit": [None, None],
                    "root_id": task_id, "parent_id": None, "argsrepr": repr(args), "kwargsrepr": "{}",
                    "origin": "bench@localhost", "ignore_result": False},
        "properties": {"correlation_id": task_id, "reply_to": str(uuid.uuid4()), "delivery_mode": 2,
                       "delivery_info": {"exchange": "", "routing_key": queue}, "priority": 0,
                       "body_encoding": "base64", "delivery_tag": str(uuid.uuid4())}}), task_id


class Bench:
    def __init__(self, trend):
        self.trend = trend
        self.tmp = tempfile.mkdtemp(prefix="trend-queue-drain.")
        self.port = free_port()
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.tmp, "--save", "",
             "--appendonly", "no", "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                if redis.Redis(port=self.port).ping():
                    break
            except redis.exceptions.ConnectionError:
                time.sleep(0.02)
        self.broker = redis.Redis(port=self.port, db=0)
        self.backend = redis.Redis(port=self.port, db=1)

    def url(self, db):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def close(self):
        self.redis.terminate()
        self.redis.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def prefill(self, messages, queue="trend"):
        self.broker.flushall()
        pipe = self.broker.pipeline(transaction=False)
        for i, m in enumerate(messages):
            pipe.lpush(queue, m)
            if i % 5000 == 4999:
                pipe.execute()
        pipe.execute()

    def drain(self, argv, n, queue="trend", env=None, timeout=600):
        """Starts the worker, waits until n results are stored; returns seconds, worker CPU s,
        Redis CPU s."""
        self.broker.config_resetstat()
        redis_cpu0 = tree_cpu(self.redis.pid)
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.tmp, "worker.log"), "a"),
                                env=env, cwd=HERE, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.broker.llen(queue) == 0 and self.broker.hlen("unacked") == 0 and self.backend.dbsize() >= n:
                break
            time.sleep(0.01)
        else:
            proc.kill()
            raise RuntimeError(f"{argv[0]}: not drained within {timeout} s")
        seconds = time.perf_counter() - start
        cpu = tree_cpu(proc.pid)
        redis_cpu = tree_cpu(self.redis.pid) - redis_cpu0
        os.killpg(proc.pid, 15)
        proc.wait(30)
        if os.environ.get("SHOW_REDIS_COMMANDS"):
            stats = self.broker.info("commandstats")
            top = sorted(stats.items(), key=lambda kv: -kv[1]["usec"])[:8]
            print("  redis time by command: " + ", ".join(
                f"{k.replace('cmdstat_', '')} {v['usec'] / n:.1f} us/task ({v['calls']} calls)" for k, v in top), flush=True)
        return seconds, cpu, redis_cpu

    def check_results(self, ids, expect):
        wrong = 0
        for i in range(0, len(ids), 1000):
            metas = self.backend.mget([f"celery-task-meta-{x}" for x in ids[i:i + 1000]])
            for j, m in enumerate(metas):
                meta = json.loads(m) if m else {}
                if meta.get("status") != "SUCCESS" or not expect(i + j, meta.get("result")):
                    wrong += 1
        return wrong


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trend")
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--celery-tasks", type=int, default=10_000)
    ap.add_argument("--analyses", type=int, default=10_000)
    ap.add_argument("--prefetch", type=int, default=256)
    ap.add_argument("--out")
    a = ap.parse_args()
    trend = os.path.abspath(a.trend)
    b = Bench(trend)
    rows = []

    def worker(processes, queue="trend"):
        return [trend, "worker", "--broker", b.url(0), "--backend", b.url(1), "--queues", queue, "-c",
                str(processes), "--prefetch", str(a.prefetch), "--bench-tasks"]

    def record(label, n, seconds, cpu, redis_cpu, wrong):
        rows.append((label, n, seconds, n / seconds, cpu * 1e6 / n, redis_cpu * 1e6 / n, wrong))
        print(f"{label:52} {n:>8,} tasks {seconds:7.2f} s {n / seconds:>10,.0f}/s  worker {cpu * 1e6 / n:7.1f} "
              f"us/task  redis {redis_cpu * 1e6 / n:6.1f} us/task  wrong {wrong}", flush=True)

    try:
        # Trivial tasks: trend worker, one process.
        msgs = [envelope("bench.noop", [i], {}, "trend") for i in range(a.tasks)]
        b.prefill([m for m, _ in msgs])
        s, cpu, rcpu = b.drain(worker(1), a.tasks)
        record("trivial: trend worker, 1 process", a.tasks, s, cpu, rcpu,
               b.check_results([i for _, i in msgs], lambda k, r: r == k))
        # The same on Celery's worker (1 prefork process), fewer tasks.
        if a.celery_tasks:
            msgs = [envelope("bench.noop", [i], {}, "bench") for i in range(a.celery_tasks)]
            b.prefill([m for m, _ in msgs], queue="bench")
            env = dict(os.environ, BENCH_BROKER_URL=b.url(0), BENCH_RESULT_BACKEND=b.url(1),
                       BENCH_LEDGER_URL=b.url(2), BENCH_QUEUE="bench",
                       PYTHONPATH=os.path.join(os.path.dirname(ROOT), "shared", "peers", "queue"))
            argv = ["/usr/bin/python3", "-m", "celery", "-A", "bench_tasks", "worker", "-Q", "bench", "-c", "1",
                    "-P", "prefork", "-l", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
            try:
                s, cpu, rcpu = b.drain(argv, a.celery_tasks, queue="bench", env=env)
                record("trivial: Celery 5.2 worker, 1 prefork process", a.celery_tasks, s, cpu, rcpu,
                       b.check_results([i for _, i in msgs], lambda k, r: r == k))
            except Exception as e:  # noqa: BLE001 -- the Celery row is a comparison, not ours
                print(f"Celery's worker did not run: {e}", file=sys.stderr)
        # Demo analyses: the dataset travels once, by id.
        csv = open(os.path.join(ROOT, "demo", "demo_returns.csv")).read()
        config = open(os.path.join(ROOT, "config", "demo.yml")).read()
        dataset = hashlib.sha256(csv.encode()).hexdigest()
        expected = json.loads(subprocess.run([trend, "run", "-c", os.path.join(ROOT, "config", "demo.yml"), "--json",
                                              "-", "--no-export", "-q"], capture_output=True, check=True).stdout)
        for processes in ((1, 2) if a.analyses else ()):
            msgs = [envelope("trend.run", [], {"config": config, "dataset": dataset}, "trend")
                    for _ in range(a.analyses)]
            b.prefill([m for m, _ in msgs])
            b.backend.set("trend-dataset-" + dataset, csv)
            s, cpu, rcpu = b.drain(worker(processes), a.analyses + 1)  # + the dataset key
            record(f"demo analyses (trend.run): trend worker, {processes} process{'es' if processes > 1 else ''}",
                   a.analyses, s, cpu, rcpu, b.check_results([i for _, i in msgs], lambda k, r: r == expected))
    finally:
        b.close()
    cpus = os.cpu_count()
    lines = [f"# trend worker draining a pre-filled Redis queue ({time.strftime('%Y-%m-%d', time.gmtime())}, "
             f"{cpus} cores)", "",
             "Worker, Redis and the checker share the machine. Seconds run from the worker's start until every "
             "result is stored; CPU is the worker's process tree and redis-server over the same span.", "",
             "| run | tasks | seconds | tasks/s | worker CPU µs/task | Redis CPU µs/task | wrong or missing |",
             "|---|---|---|---|---|---|---|"]
    for label, n, s, rate, cpu, rcpu, wrong in rows:
        lines.append(f"| {label} | {n:,} | {s:.2f} | {rate:,.0f} | {cpu:.1f} | {rcpu:.1f} | {wrong} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return 0 if all(r[6] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
