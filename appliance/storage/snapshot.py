"""The snapshot file `store.snap`: every table at one moment, written atomically.

Same record framing as the journal (see journal.py). Records: a header
`{"magic": "appliance-snapshot", "version": 1, "next_gen": N, "hw": {...}}` (replay journals
with gen >= N on top), then chunks `{"t": table, "docs": [[id, doc], ...]}`, then
`{"end": true, "count": total docs}`. Written by the snapshot thread or under the store lock
(backup, compact); any damage, including a missing end record, is CorruptFile.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from appliance.storage.journal import CorruptFile, frame, fsync_dir, scan

SNAPSHOT_NAME = "store.snap"
SNAPSHOT_MAGIC = "appliance-snapshot"
CHUNK = 1000  # docs per record: small json.dumps calls let other threads run between them

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def write_snapshot(path: Path, tables: Mapping[str, Mapping[str, Any]], hw: Mapping[str, int],
                   next_gen: int) -> int:
    """Write tables (str id -> doc, not mutated while we read them) to `path` atomically."""
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with open(tmp, "wb") as f:
        header = {"magic": SNAPSHOT_MAGIC, "version": 1, "next_gen": next_gen, "hw": dict(hw)}
        f.write(frame(_dumps(header).encode()))
        for name, table in tables.items():
            items = list(table.items())
            for start in range(0, len(items), CHUNK):
                chunk = [[int(k), v] for k, v in items[start:start + CHUNK]]
                f.write(frame(_dumps({"t": name, "docs": chunk}).encode()))
                count += len(chunk)
            if not items:
                f.write(frame(_dumps({"t": name, "docs": []}).encode()))
        f.write(frame(_dumps({"end": True, "count": count}).encode()))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return count


def read_snapshot(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, int], int]:
    """Return (tables, hw, next_gen); raise CorruptFile on any damage."""
    data = path.read_bytes()
    payloads, _ = scan(path, data, allow_torn_tail=False)
    if not payloads:
        raise CorruptFile(path, 0, "the file is empty")
    try:
        header = json.loads(payloads[0])
        if header.get("magic") != SNAPSHOT_MAGIC:
            raise CorruptFile(path, 0, "not a snapshot of this store (bad magic)")
        tables: dict[str, dict[str, Any]] = {}
        count = 0
        end = None
        for payload in payloads[1:]:
            if end is not None:
                raise CorruptFile(path, 0, "records after the end record")
            rec = json.loads(payload)
            if rec.get("end"):
                end = rec
                continue
            table = tables.setdefault(rec["t"], {})
            for doc_id, doc in rec["docs"]:
                table[str(doc_id)] = doc
            count += len(rec["docs"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptFile(path, 0, f"unreadable content ({exc})") from None
    if end is None:
        raise CorruptFile(path, len(data), "the end record is missing (file cut short)")
    if end.get("count") != count:
        raise CorruptFile(path, len(data), f"holds {count} docs, its end record says {end.get('count')}")
    return tables, {k: int(v) for k, v in header.get("hw", {}).items()}, int(header["next_gen"])
