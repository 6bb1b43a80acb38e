"""Retention archive: finished tasks leave the live table for gzip JSON-lines files.

Files are `state_dir/archive/tasks-<UTC timestamp>.jsonl.gz`, one task (with its `logs`) per
line, one file per batch, written and fsynced before the tasks are deleted (under the store
lock). `read_archive(path)` reads one back; `archive_files(state_dir)` lists them.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from appliance.storage.journal import fsync_dir


def write_archive(folder: Path, rows: list[str]) -> Path:
    """Write rows (one JSON object text each) as a new archive file; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"tasks-{stamp}.jsonl.gz"
    n = 1
    while path.exists():  # two batches in the same microsecond
        path = folder / f"tasks-{stamp}-{n}.jsonl.gz"
        n += 1
    tmp = path.with_name(path.name + ".tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
            gz.write("".join(row + "\n" for row in rows).encode())
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, path)
    fsync_dir(folder)
    return path


def read_archive(path: str | Path) -> Iterator[dict]:
    """Yield the archived tasks of one archive file, oldest id first."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def archive_files(state_dir: Path) -> list[Path]:
    return sorted((state_dir / "archive").glob("tasks-*.jsonl.gz"))
