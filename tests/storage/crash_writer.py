"""Child process of test_crash: writes from several threads and prints every acknowledged write.

Lines: `C <id> <thread>` after create_many returned, `U <id> <n>` after remark "r<n>" was
acknowledged, `L <id> <n>` after log line n. Runs until killed.
"""

from __future__ import annotations

import sys
import threading

from appliance.storage import Store

state_dir, threads = sys.argv[1], int(sys.argv[2])
store = Store.open(state_dir, journal_limit=64 << 10)  # small: snapshots happen during the load
out_lock = threading.Lock()


def say(line: str) -> None:
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def work(n: int) -> None:
    while True:
        created = store.tasks.create_many([
            {"serial": f"T{n}", "script_name": "post", "status": 0, "source": "api",
             "script_config": {"thread": n}, "remark": "r0"} for _ in range(2)])
        for doc in created:
            say(f"C {doc['id']} {n}")
        for doc in created:
            for k in range(1, 4):
                store.tasks.update(doc["id"], {"remark": f"r{k}"})
                say(f"U {doc['id']} {k}")
            store.tasks.append_log(doc["id"], {"ts": "t", "level": "info", "message": "m"}, 5)
            say(f"L {doc['id']} 1")


say("READY")
for n in range(threads):
    threading.Thread(target=work, args=(n,), daemon=True).start()
threading.Event().wait()
