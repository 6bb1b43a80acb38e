"""Storage bench: the hub's store against stock TinyDB (JSONStorage) and sqlite3, one process.

At 1k, 10k and 100k tasks: durable insert, durable update by id, one filtered page (status,
newest first, with the total) and the stats counts. Prints a table, the hub's load time and
resident memory at 100k, and ends with `ratio_update_100k hub/sqlite=X hub/tinydb=Y` (time
ratios: lower is better for the hub). Run: `python bench/storage.py [--dir DIR]`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinydb import Query, TinyDB
from tinydb.storages import JSONStorage

from appliance.storage import Store

SIZES = (1_000, 10_000, 100_000)
PAGE = 20
HUB_OPS = {"insert": 300, "update": 1000, "list": 300, "stats": 1000}
SQLITE_OPS = HUB_OPS
TINYDB_OPS = {1_000: 20, 10_000: 10, 100_000: 5}  # stock TinyDB is slow: few operations


def make_doc(i: int) -> dict:
    return {
        "serial": f"R58M{i % 100:04d}", "username": None if i % 3 else f"user{i % 50}",
        "script_name": ("post", "follow", "comment", "unfollow")[i % 4],
        "script_config": {"target_users": [f"creator{i % 997}"], "access_method": "direct"},
        "status": i % 4, "source": "api" if i % 5 else "ui", "min_interval": 1, "max_interval": 5,
        "start_time": None, "created_at": "2026-11-28T12:00:00+00:00",
        "started_at": "2026-11-28T12:00:01+00:00" if i % 4 else None,
        "finished_at": "2026-11-28T12:03:00+00:00" if i % 4 >= 2 else None,
        "remark": "" if i % 4 < 2 else "done", "retry_count": 0, "_attempt": 0,
    }


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def timed(fn, count: int) -> float:
    """Mean milliseconds per call of fn(k) over `count` calls."""
    samples = []
    for k in range(count):
        start = time.perf_counter()
        fn(k)
        samples.append(time.perf_counter() - start)
    return statistics.fmean(samples) * 1000


# --- the three backends ---
def bench_hub(root: Path, size: int, rng: random.Random) -> tuple[dict, dict]:
    state = root / f"hub-{size}"
    store = Store.open(state)
    for start in range(0, size, 1000):
        store.tasks.create_many([make_doc(i) for i in range(start, min(size, start + 1000))])
    store.close()
    gc.collect()
    rss_before = rss_mb()
    t0 = time.perf_counter()
    store = Store.open(state)
    load_s = time.perf_counter() - t0
    gc.collect()
    extra = {"load_s": load_s, "rss_mb": rss_mb(), "rss_growth_mb": rss_mb() - rss_before}
    ids = store.tasks.ids_where()
    results = {
        "insert": timed(lambda k: store.tasks.create_many([make_doc(k)]), HUB_OPS["insert"]),
        "update": timed(lambda k: store.tasks.update(rng.choice(ids), {"status": 1, "remark": f"r{k}"}),
                        HUB_OPS["update"]),
        "list": timed(lambda k: store.tasks.list({"status": k % 4}, 0, PAGE), HUB_OPS["list"]),
        "stats": timed(lambda k: store.tasks.stats(), HUB_OPS["stats"]),
    }
    store.compact()
    store.close()
    t0 = time.perf_counter()
    Store.open(state).close()
    extra["load_compacted_s"] = time.perf_counter() - t0
    shutil.rmtree(state)
    return results, extra


def bench_tinydb(root: Path, size: int, rng: random.Random) -> dict:
    path = root / f"tinydb-{size}.json"
    # Pre-populate by writing the file directly: inserting 100k one by one would take hours.
    path.write_text(json.dumps({"tasks": {str(i + 1): make_doc(i) for i in range(size)}}))
    db = TinyDB(path, storage=JSONStorage)
    table = db.table("tasks")
    task = Query()
    n = TINYDB_OPS[size]

    def page(k: int):
        found = table.search(task.status == k % 4)
        found.sort(key=lambda d: d.doc_id, reverse=True)
        return found[:PAGE], len(found)

    def stats(k: int):
        counts = [0, 0, 0, 0]
        for doc in table:
            counts[doc["status"]] += 1
        return counts

    table.clear_cache()
    results = {
        "insert": timed(lambda k: table.insert(make_doc(k)), n),
        "update": timed(lambda k: table.update({"status": 1, "remark": f"r{k}"},
                                               doc_ids=[rng.randint(1, size)]), n),
        # a new query each time: the query cache would otherwise answer without reading
        "list": timed(lambda k: (table.clear_cache(), page(k)), n),
        "stats": timed(stats, n),
    }
    db.close()
    path.unlink()
    return results


def bench_sqlite(root: Path, size: int, rng: random.Random) -> dict:
    path = root / f"sqlite-{size}.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, status INT, serial TEXT,"
                " script_name TEXT, source TEXT, username TEXT, doc TEXT)")
    for column in ("status", "serial", "script_name", "source", "username"):
        con.execute(f"CREATE INDEX tasks_{column} ON tasks ({column}, id)")
    insert_sql = ("INSERT INTO tasks (status, serial, script_name, source, username, doc)"
                  " VALUES (?, ?, ?, ?, ?, ?)")

    def row(doc):
        return (doc["status"], doc["serial"], doc["script_name"], doc["source"], doc["username"],
                json.dumps(doc))

    con.execute("BEGIN")
    con.executemany(insert_sql, (row(make_doc(i)) for i in range(size)))
    con.execute("COMMIT")

    def insert(k: int):
        con.execute("BEGIN")
        con.execute(insert_sql, row(make_doc(k)))
        con.execute("COMMIT")

    def update(k: int):
        con.execute("BEGIN")
        con.execute("UPDATE tasks SET status = 1, doc = json_set(doc, '$.status', 1, '$.remark', ?)"
                    " WHERE id = ?", (f"r{k}", rng.randint(1, size)))
        con.execute("COMMIT")

    def page(k: int):
        rows = con.execute("SELECT doc FROM tasks WHERE status = ? ORDER BY id DESC LIMIT ?",
                           (k % 4, PAGE)).fetchall()
        total = con.execute("SELECT COUNT(*) FROM tasks WHERE status = ?", (k % 4,)).fetchone()
        return [json.loads(r[0]) for r in rows], total

    results = {
        "insert": timed(insert, SQLITE_OPS["insert"]),
        "update": timed(update, SQLITE_OPS["update"]),
        "list": timed(page, SQLITE_OPS["list"]),
        "stats": timed(lambda k: con.execute(
            "SELECT status, COUNT(*) FROM tasks GROUP BY status").fetchall(), SQLITE_OPS["stats"]),
    }
    con.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=None, help="where to write (a real disk, not tmpfs)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="storage-bench-", dir=args.dir))
    fs = subprocess.run(["df", "-T", str(root)], capture_output=True, text=True,
                        check=False).stdout.split("\n")   # no df: the type prints as '?'
    print(f"# writing under {root} ({fs[1].split()[1] if len(fs) > 1 else '?'}); "
          f"{os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    rng = random.Random(1)
    rows = []
    extras = {}
    try:
        for size in SIZES:
            hub, extras[size] = bench_hub(root, size, rng)
            rows.append((size, "hub", hub))
            rows.append((size, "sqlite3", bench_sqlite(root, size, rng)))
            rows.append((size, "tinydb", bench_tinydb(root, size, rng)))
            print(f"# {size} done", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"\n{'tasks':>7} {'backend':<8} {'insert ms':>10} {'update ms':>10} {'list ms':>10} "
          f"{'stats ms':>10}")
    for size, name, r in rows:
        print(f"{size:>7} {name:<8} {r['insert']:>10.3f} {r['update']:>10.3f} {r['list']:>10.3f} "
              f"{r['stats']:>10.3f}")
    print()
    for size in SIZES:
        e = extras[size]
        print(f"hub at {size}: load {e['load_s'] * 1000:.0f} ms with the journal left by the "
              f"fill, {e['load_compacted_s'] * 1000:.0f} ms from a compacted store; RSS "
              f"{e['rss_mb']:.0f} MB (+{e['rss_growth_mb']:.0f} MB for the loaded store)")
    by = {(size, name): r for size, name, r in rows}
    hub, sql, tiny = by[(100_000, "hub")], by[(100_000, "sqlite3")], by[(100_000, "tinydb")]
    print(f"update at 100k: hub is {tiny['update'] / hub['update']:.0f}x faster than stock TinyDB, "
          f"{hub['update'] / sql['update']:.2f}x the time of sqlite3")
    print(f"ratio_update_100k hub/sqlite={hub['update'] / sql['update']:.3f} "
          f"hub/tinydb={hub['update'] / tiny['update']:.5f}")


if __name__ == "__main__":
    main()
