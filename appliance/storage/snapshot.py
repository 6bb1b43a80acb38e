"""The snapshot file `store.snap`: every table at one moment, written atomically.

Same record framing as the journal (see journal.py). Records: a header
`{"magic": "appliance-snapshot", "version": 2, "next_gen": N, "hw": {...}}` (replay journals
with gen >= N on top); then chunks, each a JSON line `{"t": table, "kind": "docs"|"lines",
"n": count}` followed by `n` lines `<id> <JSON text>` (a doc, or for "lines" tables one log
line; JSON text never holds a raw newline); then `{"end": true, "count": total lines}`. Older
writers put the index values of each doc in the chunk header too ("names", "fields"); they are
not needed, as loading decodes every doc into its record (backend.DocTable).
Any damage, including a missing end record, is CorruptFile.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.storage.journal import CorruptFile, frame, fsync_dir, scan

if TYPE_CHECKING:
    from appliance.storage.backend import DocTable, JournalStorage, Record

SNAPSHOT_NAME = "store.snap"
SNAPSHOT_MAGIC = "appliance-snapshot"
CHUNK = 25  # lines per record: about 0.2 ms of work between two chances for writers to run
FLUSH_EVERY = 4 << 20  # bytes; see write_snapshot


def _chunk(name: str, kind: str, lines: list[str]) -> bytes:
    head = json.dumps({"t": name, "kind": kind, "n": len(lines)}, separators=(",", ":"))
    return frame((head + "\n" + "\n".join(lines)).encode())


def write_snapshot(path: Path, copy: dict[str, tuple[DocTable, dict[int, Record]]], hw: dict[str, int],
                   next_gen: int) -> int:
    """Write a copy from `JournalStorage.copy()` to `path` atomically (temp, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    count = flushed = 0
    # 0600 like the journal: tasks and accounts (with passwords) are the hub's alone.
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        header = {"magic": SNAPSHOT_MAGIC, "version": 2, "next_gen": next_gen, "hw": dict(hw)}
        f.write(frame(json.dumps(header).encode()))
        for name, (live, records) in copy.items():
            items = list(records.items())
            for start in range(0, len(items), CHUNK):
                # Written beside live writers: yield the GIL between chunks (a CPU-bound thread
                # otherwise keeps it for the 5 ms switch interval, and every durable write waits
                # that long), and flush every few MB so that an fsync of the journal never has
                # to wait for tens of MB of snapshot data queued in the same disk journal.
                time.sleep(0)
                if f.tell() - flushed > FLUSH_EVERY:
                    f.flush()
                    os.fdatasync(f.fileno())
                    flushed = f.tell()
                part = items[start:start + CHUNK]
                if live.kind == "lines":
                    lines = [f"{k} {t}" for k, texts in part for t in texts]
                else:
                    text_of = live.text_of
                    lines = [f"{k} {text_of(record)}" for k, record in part]
                f.write(_chunk(name, live.kind, lines))
                count += len(lines)
        f.write(frame(json.dumps({"end": True, "count": count}).encode()))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return count


def read_snapshot(path: Path, storage: JournalStorage, pool: dict[str, str] | None = None) -> int:
    """Fill `storage` (tables and hw) from the snapshot; return next_gen. CorruptFile if damaged.
    `pool` shares equal strings across everything loaded (see DocTable.record_of)."""
    pool = {} if pool is None else pool
    data = path.read_bytes()
    # Views, not copies: tens of MB of small payload copies would stay as a fragmented heap.
    payloads, _ = scan(path, memoryview(data), allow_torn_tail=False)
    if not payloads:
        raise CorruptFile(path, 0, "the file is empty")
    count = 0
    end = None
    try:
        header = json.loads(str(payloads[0], "utf-8"))
        if header.get("magic") != SNAPSHOT_MAGIC or header.get("version") != 2:
            raise CorruptFile(path, 0, "not a snapshot of this store (bad magic or version)")
        for payload in payloads[1:]:
            if end is not None:
                raise CorruptFile(path, 0, "records after the end record")
            head_text, _, body = str(payload, "utf-8").partition("\n")
            head = json.loads(head_text)
            if head.get("end"):
                end = head
                continue
            lines = body.split("\n") if head["n"] else []
            if len(lines) != head["n"]:
                raise CorruptFile(path, 0, f"a chunk of {head['t']} holds {len(lines)} of {head['n']} lines")
            live = storage.table(head["t"])
            records = live.records
            if head["kind"] == "lines":
                grouped: dict[int, list[str]] = {}
                for line in lines:
                    key, _, text = line.partition(" ")
                    grouped.setdefault(int(key), []).append(text)
                for doc_id, texts in grouped.items():
                    records[doc_id] = records.get(doc_id, ()) + tuple(texts)
            else:
                record_of = live.record_of
                for line in lines:
                    key, _, text = line.partition(" ")
                    records[int(key)] = record_of(json.loads(text), pool=pool)
            count += len(lines)
        hw = {k: int(v) for k, v in header.get("hw", {}).items()}
        next_gen = int(header["next_gen"])
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise CorruptFile(path, 0, f"unreadable content ({exc})") from None
    if end is None:
        raise CorruptFile(path, len(data), "the end record is missing (file cut short)")
    if end.get("count") != count:
        raise CorruptFile(path, len(data), f"holds {count} lines, its end record says {end.get('count')}")
    storage.hw.update(hw)
    return next_gen
