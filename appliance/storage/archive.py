"""Retention archive: finished tasks leave the live table for gzip JSON-lines files.

Files are `state_dir/archive/tasks-<UTC timestamp>.jsonl.gz`, one task (with its `logs`) per
line, one file per batch, written and fsynced before the tasks are deleted (under the store
lock). `read_archive(path)` reads one back; `archive_files(state_dir)` lists them;
`prune_archives(state_dir, cutoff)` deletes those written before a time (housekeeping thread).
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from datetime import UTC, datetime
from pathlib import Path

from appliance.errors import StoreError
from appliance.storage.backend import Doc
from appliance.storage.journal import fsync_dir


def write_archive(folder: Path, rows: list[str]) -> Path:
    """Write rows (one JSON object text each) as a new archive file; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
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


def read_archive(path: str | Path) -> list[Doc]:
    """The archived tasks of one archive file, oldest id first; StoreError naming the file
    when it is damaged (cut short, not gzip, not JSON lines); OSError when it cannot be read."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except (gzip.BadGzipFile, EOFError, zlib.error):
        why = "it is not a whole gzip file"
    except ValueError:   # bad UTF-8 or JSON
        why = "its lines are not JSON"
    raise StoreError(f"the archive file {path} is damaged ({why}); move it out of the archive "
                     "folder (a backup may still hold its tasks)")


def archive_files(state_dir: Path) -> list[Path]:
    return sorted((state_dir / "archive").glob("tasks-*.jsonl.gz"))


def written_at(path: Path) -> datetime | None:
    """When an archive file was written, from the UTC timestamp in its name (the mtime changes
    when files are copied or restored); None for a name without one."""
    stamp = path.name.removeprefix("tasks-").split(".", 1)[0].split("-", 1)[0]
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def prune_archives(state_dir: Path, cutoff: datetime) -> list[Path]:
    """Delete the archive files written before `cutoff` (naive: UTC); returns what went."""
    if cutoff.tzinfo is None:
        cutoff = cutoff.replace(tzinfo=UTC)
    gone = []
    for path in archive_files(state_dir):
        when = written_at(path)
        if when is not None and when < cutoff:
            path.unlink(missing_ok=True)
            gone.append(path)
    if gone:
        fsync_dir(state_dir / "archive")
    return gone
