"""The snapshot file `store.snap`: every table at one moment, written atomically.

Same record framing as the journal (see journal.py). Records: a header
`{"magic": "appliance-snapshot", "version": 2, "next_gen": N, "hw": {...}}` (replay journals
with gen >= N on top); then chunks, each a JSON line `{"t": table, "kind": "docs"|"lines",
"n": count, "names": [indexed fields], "fields": [[distinct values, [code per line]] per field]}` followed by `n` lines `<id> <JSON text>` (a doc,
or for "lines" tables one log line; JSON text never holds a raw newline); then
`{"end": true, "count": total lines}`. Loading decodes only the small headers, not the docs.
Any damage, including a missing end record, is CorruptFile.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.storage.journal import CorruptFile, frame, fsync_dir, scan

if TYPE_CHECKING:
    from appliance.storage.backend import DocTable, JournalStorage

SNAPSHOT_NAME = "store.snap"
SNAPSHOT_MAGIC = "appliance-snapshot"
CHUNK = 500  # lines per record: about 1 ms of work between two chances for writers to run
FLUSH_EVERY = 4 << 20  # bytes; see write_snapshot


def _chunk(name: str, kind: str, lines: list[str], fields: list | None,
           names: tuple[str, ...] = ()) -> bytes:
    head: dict[str, Any] = {"t": name, "kind": kind, "n": len(lines)}
    if fields is not None:
        head["fields"], head["names"] = fields, list(names)
    body = json.dumps(head, separators=(",", ":"))
    return frame((body + "\n" + "\n".join(lines)).encode())


def _encode(rows: list[tuple]) -> list[list]:
    """Indexed values per field as [distinct values, codes]: small, and decoding shares objects."""
    out = []
    for column in zip(*rows):
        position: dict = {}
        codes = [position.setdefault(v, len(position)) for v in column]
        out.append([list(position), codes])
    return out


def _decode(cols: list[list], count: int) -> list[tuple]:
    if not cols:
        return [()] * count
    return list(zip(*([values[c] for c in codes] for values, codes in cols)))


def write_snapshot(path: Path, copy: dict[str, tuple["DocTable", dict, dict]], hw: dict[str, int],
                   next_gen: int) -> int:
    """Write a copy from `JournalStorage.copy()` to `path` atomically (temp, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    count = flushed = 0
    # 0600 like the journal: tasks and accounts (with passwords) are the hub's alone.
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        header = {"magic": SNAPSHOT_MAGIC, "version": 2, "next_gen": next_gen, "hw": dict(hw)}
        f.write(frame(json.dumps(header).encode()))
        for name, (live, raw, fields) in copy.items():
            items = list(raw.items())
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
                    f.write(_chunk(name, "lines", lines, None))
                else:
                    lines = [f"{k} {t}" for k, t in part]
                    cols = _encode([fields[int(k)] for k, _ in part]) if live.index_fields else None
                    f.write(_chunk(name, "docs", lines, cols, live.index_fields))
                count += len(lines)
        f.write(frame(json.dumps({"end": True, "count": count}).encode()))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return count


def read_snapshot(path: Path, storage: "JournalStorage") -> int:
    """Fill `storage` (tables and hw) from the snapshot; return next_gen. CorruptFile if damaged."""
    data = path.read_bytes()
    payloads, _ = scan(path, data, allow_torn_tail=False)
    if not payloads:
        raise CorruptFile(path, 0, "the file is empty")
    count = 0
    end = None
    try:
        header = json.loads(payloads[0])
        if header.get("magic") != SNAPSHOT_MAGIC or header.get("version") != 2:
            raise CorruptFile(path, 0, "not a snapshot of this store (bad magic or version)")
        for payload in payloads[1:]:
            if end is not None:
                raise CorruptFile(path, 0, "records after the end record")
            head_bytes, _, body = payload.partition(b"\n")
            head = json.loads(head_bytes)
            if head.get("end"):
                end = head
                continue
            lines = body.decode("utf-8").split("\n") if head["n"] else []
            if len(lines) != head["n"]:
                raise CorruptFile(path, 0, f"a chunk of {head['t']} holds {len(lines)} of {head['n']} lines")
            live = storage.table(head["t"])
            raw = live.raw
            if head["kind"] == "lines":
                grouped: dict[str, list[str]] = {}
                for line in lines:
                    key, _, text = line.partition(" ")
                    grouped.setdefault(key, []).append(text)
                for key, texts in grouped.items():
                    raw[key] = raw.get(key, ()) + tuple(texts)
            else:
                pairs = [line.split(" ", 1) for line in lines]
                raw.update(pairs)  # C loops: this is most of the start-up time at 100k tasks
                if live.index_fields:
                    cols = head.get("fields")
                    if cols is not None and head.get("names") == list(live.index_fields):
                        rows = _decode(cols, len(pairs))
                    else:  # written with other index fields: decode the documents once
                        rows = [live.fields_of(json.loads(text)) for _, text in pairs]
                    if len(rows) != len(pairs):
                        raise CorruptFile(path, 0, f"a chunk of {head['t']} has {len(rows)} index rows")
                    live.fields.update(zip(map(int, (p[0] for p in pairs)), rows))
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
