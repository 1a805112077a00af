#!/usr/bin/env python3
"""`import trend_engine` measured in-process, side by side in one run:

* trend_engine.run on 500 funds x 360 months (a DataFrame), against the reference's recorded
  in-process time for that shape (1.12 s on this machine kind; its code is not on our machines);
* the same through trend_engine.compat (the reference's pipeline.run_full);
* N Python threads against 1 (the GIL is released while the engine computes);
* trend_engine.bloom against pybloom-live (../shared/peers/bloom/pybloom-live), per key.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python/bench_python.py [--out FILE]
"""
import argparse
import os
import statistics
import sys
import threading
import time

import numpy as np
import pandas as pd

import trend_engine
from trend_engine import bloom, compat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE_SECONDS = 1.12  # the reference's in-process run on 500 x 360, recorded on this machine kind
FUNDS, MONTHS = 500, 360


def panel():
    rng = np.random.default_rng(360500)
    index = pd.date_range("1995-01-31", periods=MONTHS, freq="M")
    market = rng.normal(0.006, 0.04, MONTHS)
    values = 0.002 + rng.uniform(0, 0.6, FUNDS) * market[:, None] + rng.normal(0, 0.03, (MONTHS, FUNDS))
    frame = pd.DataFrame(values, index=index, columns=[f"Fund {i:03d}" for i in range(FUNDS)])
    frame.insert(0, "RF", 0.002)
    return frame


CONFIG = {
    "data": {"risk_free_column": "RF"},
    "vol_adjust": {"enabled": True, "target_vol": 0.10},
    "sample_split": {"in_start": "1995-01", "in_end": "2014-12", "out_start": "2015-01", "out_end": "2024-12"},
    "portfolio": {"selection_mode": "rank", "rank": {"inclusion_approach": "top_n", "n": 20, "score_by": "Sharpe"},
                  "weighting_scheme": "equal"},
}


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput(threads, calls_each, fn):
    barrier = threading.Barrier(threads + 1)

    def work():
        barrier.wait()
        for _ in range(calls_each):
            fn()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return threads * calls_each / (time.perf_counter() - start)


def per_key(make, keys, probes, batched=False):
    """Seconds per key to add `keys` to a new filter, then to look up `probes`: one call per
    key, or (batched) one update and one contains_many call for all of them."""
    f = make()
    start = time.perf_counter()
    if batched:
        f.update(keys)
    else:
        for k in keys:
            f.add(k)
    added = time.perf_counter() - start
    start = time.perf_counter()
    if batched:
        f.contains_many(probes)
    else:
        for k in probes:
            k in f  # noqa: B015
    looked = time.perf_counter() - start
    return added / len(keys), looked / len(probes)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", help="also write the table (markdown) here")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    frame = panel()
    run = lambda: trend_engine.run(CONFIG, frame, warn=False)  # noqa: E731
    run()
    engine = timed(run, args.repeats)
    shaped = lambda: trend_engine.run(CONFIG, frame, warn=False).weights  # noqa: E731
    with_pandas = timed(shaped, args.repeats)
    csv = os.path.join("/tmp", f"bench_python_{os.getpid()}.csv")
    frame.to_csv(csv, index_label="Date")
    cfg = dict(CONFIG, data={"risk_free_column": "RF", "csv_path": csv})
    through_compat = timed(lambda: compat.pipeline.run_full(cfg), args.repeats)
    os.remove(csv)
    calls = max(4, int(2.0 / engine) // 4)
    # Best of 3 rounds, the thread counts interleaved: the VM's speed varies over seconds.
    rounds = [[throughput(n, calls, run) for n in (1, 2, 4)] for _ in range(3)]
    one, two, four = (max(r[i] for r in rounds) for i in range(3))

    rows = [
        ("trend_engine.run, 500 x 360 DataFrame", f"{engine * 1e3:.2f} ms", f"{REFERENCE_SECONDS / engine:,.0f}x the reference's 1.12 s"),
        ("... and .weights as a pandas Series", f"{with_pandas * 1e3:.2f} ms", f"{REFERENCE_SECONDS / with_pandas:,.0f}x"),
        ("compat.pipeline.run_full(cfg) (reads the CSV)", f"{through_compat * 1e3:.2f} ms", f"{REFERENCE_SECONDS / through_compat:,.0f}x"),
        ("1 Python thread", f"{one:,.0f} runs/s", "1.00x"),
        ("2 Python threads", f"{two:,.0f} runs/s", f"{two / one:.2f}x of 1 thread"),
        ("4 Python threads", f"{four:,.0f} runs/s", f"{four / one:.2f}x of 1 thread ({os.cpu_count()} cores)"),
    ]
    peer = os.path.join(ROOT, "..", "shared", "peers", "bloom", "pybloom-live")
    if os.path.isdir(peer):
        sys.path.insert(0, peer)
        import pybloom_live

        keys = [f"key-{i}" for i in range(200_000)]
        probes = [f"probe-{i}" for i in range(200_000)]
        for rate in (0.01, 0.001):
            # Each measured 5 times on a new filter, the best kept: the VM's speed varies.
            ours = [min(x) for x in zip(*(per_key(lambda: bloom.BloomFilter(len(keys), rate), keys, probes) for _ in range(5)))]
            batch = [min(x) for x in zip(*(per_key(lambda: bloom.BloomFilter(len(keys), rate), keys, probes, True) for _ in range(5)))]
            theirs = [min(x) for x in zip(*(per_key(lambda: pybloom_live.BloomFilter(len(keys), rate), keys, probes) for _ in range(3)))]
            shape = f"200k keys, p={rate:g}"
            rows += [
                (f"bloom.BloomFilter.add ({shape})", f"{ours[0] * 1e9:,.0f} ns/key", f"{theirs[0] / ours[0]:.1f}x pybloom-live's add ({theirs[0] * 1e9:,.0f} ns)"),
                (f"bloom.BloomFilter.update ({shape})", f"{batch[0] * 1e9:,.0f} ns/key", f"{theirs[0] / batch[0]:.1f}x pybloom-live's add"),
                (f"key in bloom.BloomFilter ({shape})", f"{ours[1] * 1e9:,.0f} ns/key", f"{theirs[1] / ours[1]:.1f}x pybloom-live's in ({theirs[1] * 1e9:,.0f} ns)"),
                (f"bloom.BloomFilter.contains_many ({shape})", f"{batch[1] * 1e9:,.0f} ns/key", f"{theirs[1] / batch[1]:.1f}x pybloom-live's in"),
            ]
    table = ["| measure | ours | ratio |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    header = (f"Input: {FUNDS} funds x {MONTHS} months, rank top 20 by Sharpe, vol-targeted; median of "
              f"{args.repeats} runs; {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    text = header + "\n\n" + "\n".join(table) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
