"""Small files in the state directory that the admin CLI writes and the running hub re-reads.

The API token (`api-token`, mode 0600) and the plan override (`plan`) live beside the store, not
in it, so `appliance token rotate` and `appliance license set` work while the hub runs (the store
is locked by the hub). Readers cache by mtime; writers replace atomically.
Any thread: `CachedFile` takes its own lock; the writers run in the admin CLI's main thread.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path

TOKEN_FILE = "api-token"
PLAN_FILE = "plan"


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Write `text` to `path` via a temp file, fsync and rename, so readers never see half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def private_dir(path: Path) -> None:
    """No access for other users of the box: the store, its snapshots and backups hold the
    accounts' passwords (systemd makes a StateDirectory 0755 unless told otherwise)."""
    mode = os.stat(path).st_mode & 0o777
    if mode & 0o007:
        try:
            os.chmod(path, mode & ~0o007)
        except PermissionError:   # not its owner: the administrator chose; say it once
            logging.getLogger("appliance").warning(
                "%s is open to every user of this machine (mode %o) and it holds account "
                "passwords; run: chmod o-rwx %s", path, mode, path)


def new_token() -> str:
    return secrets.token_urlsafe(32)


class CachedFile:
    """The stripped text of one file, re-read only when its mtime or size changes. Thread-safe."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[float, int, int] | None = None
        self._text: str | None = None

    def read(self) -> str | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if stamp != self._stamp:
                self._text = self.path.read_text(encoding="utf-8").strip()
                self._stamp = stamp
            return self._text


def ensure_token(state_dir: Path) -> str:
    """The API token, created (0600) at first start."""
    path = state_dir / TOKEN_FILE
    if not path.exists():
        write_atomic(path, new_token() + "\n")
    os.chmod(path, 0o600)
    return path.read_text(encoding="utf-8").strip()


def rotate_token(state_dir: Path) -> str:
    token = new_token()
    write_atomic(state_dir / TOKEN_FILE, token + "\n")
    return token
