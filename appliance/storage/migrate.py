"""One-time migration from the previous format: a stock TinyDB JSONStorage file `tasks.json`.

Read with stock TinyDB (tables tasks, meta, accounts, logs), turned into the new tables; the
caller writes them as a snapshot and only then renames the old file to `tasks.json.bak-<ts>`.
Runs at open, before any other thread can see the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import JSONStorage

LEGACY_NAME = "tasks.json"
_HW_KEYS = {"last_task_id": 0, "task_id_high_water": 0, "tasks_high_water": 0, "next_task_id": -1}


def read_legacy(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Return (tables, hw) in the new layout; raises ValueError if the file is not readable."""
    db = TinyDB(path, storage=JSONStorage, access_mode="r")
    try:
        raw = db.storage.read() or {}
    finally:
        db.close()
    if not isinstance(raw, dict):
        raise ValueError("the top level is not an object of tables")
    tables: dict[str, dict[str, Any]] = {"tasks": {}, "meta": {}, "accounts": {}, "logs": {}}
    hw: dict[str, int] = {}

    for name in ("tasks", "accounts"):
        for doc_id, doc in (raw.get(name) or {}).items():
            key = doc.get("id") if isinstance(doc.get("id"), int) else int(doc_id)
            tables[name][str(key)] = {**doc, "id": key}
        hw[name] = max((int(k) for k in tables[name]), default=0)

    meta_id = 0
    for doc in (raw.get("meta") or {}).values():
        pairs = [(doc["key"], doc.get("value"))] if "key" in doc else list(doc.items())
        for key, value in pairs:
            meta_id += 1
            tables["meta"][str(meta_id)] = {"key": key, "value": value}
            if key in _HW_KEYS and isinstance(value, int):
                hw["tasks"] = max(hw["tasks"], value + _HW_KEYS[key])
    hw["meta"] = meta_id

    lines: dict[int, list[Any]] = {}
    for doc_id, doc in (raw.get("logs") or {}).items():
        task_id = doc.get("task_id", int(doc_id))
        if isinstance(doc.get("lines"), list):
            lines.setdefault(task_id, []).extend(doc["lines"])
        else:
            lines.setdefault(task_id, []).append({k: v for k, v in doc.items() if k != "task_id"})
    for task_id, kept in lines.items():
        if str(task_id) in tables["tasks"]:
            tables["logs"][str(task_id)] = {"lines": kept}
    return tables, hw
