"""Record framing and the append-only journal with group commit: the store's durability.

Writers append under the store lock; `wait_durable` is called after the lock is released, so
writers whose records landed close together share one fdatasync (group commit).

File format (journal files `journal.<gen>` and the snapshot `store.snap` use the same framing):

    record  := length:u32le  crc:u32le  payload[length]
    crc     := zlib.crc32(length bytes + payload)    # a garbage length cannot pass
    payload := UTF-8 JSON object

A journal's first record is its header `{"magic": "appliance-journal", "version": 1, "gen": G}`.
Every further record is one transaction, applied all or nothing at replay:

    {"ops": [op, ...], "hw": {table: highest id ever assigned}}
    op := ["put", table, id, doc]                    # insert or replace the whole document
        | ["del", table, id]
        | ["app", table, id, field, item, limit]    # append item to doc[field], keep last `limit`

Reading: a record that is cut short, fails its crc, or is followed only by zero bytes is a torn
tail when it is the last thing in the last journal: it is dropped and the file truncated there
(its writer was never acknowledged, because acknowledgement waits for the fdatasync). The same
damage anywhere else is corruption: `CorruptFile` names the file and the offset.

Generations: when the journal passes its size limit the store fsyncs it, starts `journal.<G+1>`
and writes a snapshot of the moment of the switch (header `next_gen` = G+1) in the background;
once that snapshot is renamed into place, journals below G+1 are deleted. Open = snapshot, then
every journal with gen >= next_gen in order.

A power cut cannot lose an acknowledged write (its record was fdatasynced before the call
returned, and every earlier record with it, as the file is append-only). It can lose writes in
flight, which were never acknowledged and which no reader was shown either (`Store.reading`
waits for the fsync of what it read). This assumes the disk honours flushes.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import zlib
from pathlib import Path

from appliance.metrics import FSYNC_SECONDS

HEADER = struct.Struct("<II")
MAX_RECORD = 1 << 30  # a length above this is garbage, not a record
JOURNAL_MAGIC = "appliance-journal"


class CorruptFile(Exception):
    """A framed file is damaged at `offset` (not merely torn at its end)."""

    def __init__(self, path: Path, offset: int, why: str):
        super().__init__(f"{path} is damaged at byte {offset}: {why}")
        self.path, self.offset, self.why = path, offset, why


def frame(payload: bytes) -> bytes:
    """One record: length, crc32 over length+payload, payload."""
    length = struct.pack("<I", len(payload))
    return length + struct.pack("<I", zlib.crc32(payload, zlib.crc32(length))) + payload


def scan(path: Path, data: bytes | memoryview, allow_torn_tail: bool) -> tuple[list[bytes | memoryview], int]:
    """Split `data` into payloads; return (payloads, end offset of the last good record). The
    payloads are slices of `data`: views, without copies, when it is a memoryview.

    A bad record followed by nothing but its own bytes or zeros is a torn tail: allowed when
    `allow_torn_tail`, else CorruptFile. A bad record with good data after it is always corrupt.
    """
    payloads: list[bytes | memoryview] = []
    pos, size = 0, len(data)
    while pos < size:
        why = None
        if size - pos < HEADER.size:
            why = "a record header is cut short"
            end = size
        else:
            length, crc = HEADER.unpack_from(data, pos)
            end = pos + HEADER.size + length
            if length == 0 or length > MAX_RECORD:
                why = f"impossible record length {length}"
                end = size
            elif end > size:
                why = "the last record is cut short"
                end = size
            else:
                payload = data[pos + HEADER.size:end]
                if zlib.crc32(payload, zlib.crc32(data[pos:pos + 4])) != crc:
                    why = "checksum mismatch"
        if why is None:
            payloads.append(data[pos + HEADER.size:end])
            pos = end
            continue
        rest = bytes(data[end:])
        torn = not rest or not rest.strip(b"\0")
        if torn and allow_torn_tail:
            return payloads, pos
        raise CorruptFile(path, pos, why + ("" if torn else " and good data follows it"))
    return payloads, pos


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def journal_path(state_dir: Path, gen: int) -> Path:
    return state_dir / f"journal.{gen:08d}"


def list_journals(state_dir: Path) -> list[tuple[int, Path]]:
    out = []
    for p in state_dir.glob("journal.*"):
        suffix = p.name.split(".", 1)[1]
        if suffix.isdigit():
            out.append((int(suffix), p))
    return sorted(out)


class Journal:
    """The open journal file: `append` under the store lock, `wait_durable` outside it.

    `seq` counts records written since open; `synced` is the highest seq known on disk.
    A failed write or fsync marks the journal broken: the store then refuses writes.
    """

    def __init__(self, state_dir: Path, gen: int, fd: int, size: int):
        self.state_dir, self.gen, self.fd, self.size = state_dir, gen, fd, size
        self.seq = 0
        self.synced = 0
        self.broken: str | None = None
        self._cond = threading.Condition(threading.Lock())
        self._syncing = False

    @classmethod
    def create(cls, state_dir: Path, gen: int, header: bytes) -> Journal:
        path = journal_path(state_dir, gen)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        record = frame(header)
        try:
            if os.write(fd, record) != len(record):
                raise OSError(f"short write to {path}")
            os.fsync(fd)
            fsync_dir(state_dir)
        except OSError:
            # Leave no half-made journal behind: the one before it may still get records.
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        return cls(state_dir, gen, fd, len(record))

    @classmethod
    def reopen(cls, state_dir: Path, gen: int, good_size: int) -> Journal:
        """Continue an existing journal after dropping anything past `good_size` (a torn tail)."""
        fd = os.open(journal_path(state_dir, gen), os.O_WRONLY | os.O_APPEND)
        if os.fstat(fd).st_size != good_size:
            os.ftruncate(fd, good_size)
            os.fsync(fd)
        return cls(state_dir, gen, fd, good_size)

    def append(self, payload: bytes) -> int:
        """Write one record (not yet durable); returns its seq. Caller holds the store lock."""
        if self.broken:
            raise OSError(self.broken)
        record = frame(payload)
        try:
            written = os.write(self.fd, record)
            if written != len(record):
                raise OSError(f"short write ({written} of {len(record)} bytes)")
        except OSError as exc:
            # Cut the partial record off so later records do not follow garbage.
            try:
                os.ftruncate(self.fd, self.size)
            except OSError:
                self.broken = f"journal write failed and could not be undone: {exc}"
            raise
        self.size += len(record)
        self.seq += 1
        return self.seq

    def wait_durable(self, seq: int) -> None:
        """Return once record `seq` is on disk; one caller syncs for everyone waiting (group commit)."""
        with self._cond:
            while self.synced < seq:
                if self.broken:
                    raise OSError(self.broken)
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing = True
                target = self.seq
                fd = self.fd
                self._cond.release()
                started = time.perf_counter()
                try:
                    os.fdatasync(fd)
                    FSYNC_SECONDS.observe(time.perf_counter() - started)
                except OSError as exc:
                    # After a failed fsync the page cache state is unknown (fsyncgate): stop.
                    self.broken = f"journal fsync failed: {exc}"
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    if not self.broken:
                        self.synced = max(self.synced, target)
                    self._cond.notify_all()

    def sync_all(self) -> None:
        """Make everything appended so far durable (used before rotation and close)."""
        self.wait_durable(self.seq)

    def switch(self, new: Journal) -> None:
        """Adopt the fd of `new` after `sync_all`; seq numbering continues (store lock held)."""
        with self._cond:
            while self._syncing:
                self._cond.wait()
            old_fd = self.fd
            self.fd, self.gen, self.size = new.fd, new.gen, new.size
            self.synced = max(self.synced, self.seq)
        os.close(old_fd)

    def close(self) -> None:
        with self._cond:
            while self._syncing:
                self._cond.wait()
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1
