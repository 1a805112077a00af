#!/usr/bin/python3
"""The straightforward Python ETL an analyst would write for a combined-format access log, the
peer that bench/ingest_benchmark.sh measures `trend ingest` against: a regex per line,
datetime.strptime for the time (cached per distinct second), sqlite3.executemany in batches of 10,000, WAL, no
de-duplication (so it does less than trend ingest, which enforces a unique key).

    python_etl.py DB LOG
"""
import functools
import re
import sqlite3
import sys
from datetime import datetime, timezone

LINE = re.compile(
    r'(?P<client>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<referrer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?'
    r'(?:.*? rt=(?P<rt>[\d.]+))?(?:.*? run=(?P<run>\S+))?')


@functools.lru_cache(maxsize=4096)
def utc_seconds(text):
    """Log times repeat for every line of a second: parsed once each."""
    return int(datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z").astimezone(timezone.utc).timestamp())


def rows(path):
    with open(path, encoding="utf-8", errors="replace") as log:
        for number, line in enumerate(log, 1):
            m = LINE.match(line)
            if not m:
                continue
            ts = utc_seconds(m["time"])
            parts = m["request"].split(" ")
            method, target = (parts[0], parts[1]) if len(parts) == 3 else (None, m["request"])
            path, _, query = target.partition("?")
            yield (ts, m["client"], method, path, query or None, int(m["status"]),
                   0 if m["bytes"] == "-" else int(m["bytes"]), m["referrer"], m["agent"],
                   float(m["rt"]) if m["rt"] else None, m["run"], number)


def main():
    db = sqlite3.connect(sys.argv[1])
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS http_requests (ts INTEGER, client TEXT, method TEXT, path TEXT, "
               "query TEXT, status INTEGER, bytes INTEGER, referrer TEXT, user_agent TEXT, "
               "request_time REAL, run_id TEXT, line INTEGER)")
    batch = []
    count = 0
    for row in rows(sys.argv[2]):
        batch.append(row)
        if len(batch) == 10_000:
            db.executemany("INSERT INTO http_requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)
            db.commit()
            count += len(batch)
            batch.clear()
    db.executemany("INSERT INTO http_requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)
    db.commit()
    count += len(batch)
    print(f"{count} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
