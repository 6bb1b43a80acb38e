"""The simulated phone's file system: an in-memory tree where /sdcard and /data/local/tmp are writable.

Touched by shell commands and the sync service on any stream thread; one lock guards the tree.
Error texts are the strerror strings a phone's toybox prints.
"""

from __future__ import annotations

import posixpath
import stat as st
import threading
import time
from dataclasses import dataclass, field

WRITABLE = ("/sdcard", "/data/local/tmp")
# Paths Android shows for the same shared storage.
ALIASES = ("/storage/emulated/0", "/storage/self/primary", "/mnt/sdcard", "/mnt/user/0/primary")
SKELETON = ("/sdcard/DCIM/Camera", "/sdcard/Download", "/sdcard/Pictures", "/sdcard/Movies",
            "/sdcard/Music", "/sdcard/Android/data", "/data/local/tmp", "/system/bin", "/dev",
            "/proc", "/storage/emulated", "/vendor", "/cache", "/mnt")


class FsError(Exception):
    """A file operation failed; str() is the strerror text ("No such file or directory")."""


@dataclass
class Entry:
    mode: int
    mtime: float
    data: bytes = b""
    children: set[str] = field(default_factory=set)

    @property
    def is_dir(self) -> bool:
        return st.S_ISDIR(self.mode)

    @property
    def size(self) -> int:
        return 4096 if self.is_dir else len(self.data)


class VirtualFs:
    def __init__(self, clock=time.time):
        self._clock = clock
        self._lock = threading.RLock()
        self._nodes: dict[str, Entry] = {"/": Entry(st.S_IFDIR | 0o755, clock())}
        for path in SKELETON:
            self._makedirs(path, force=True)
        self._nodes["/dev/null"] = Entry(st.S_IFCHR | 0o666, clock())
        self._nodes["/dev"].children.add("null")

    # -- paths
    @staticmethod
    def normalize(path: str, cwd: str = "/") -> str:
        full = posixpath.normpath(posixpath.join(cwd, path)) if path else cwd
        if full.startswith("//"):
            full = "/" + full.lstrip("/")
        for alias in ALIASES:
            if full == alias or full.startswith(alias + "/"):
                return "/sdcard" + full[len(alias):]
        return full

    @staticmethod
    def writable(path: str) -> bool:
        return any(path == root or path.startswith(root + "/") for root in WRITABLE)

    # -- queries
    def stat(self, path: str, cwd: str = "/") -> Entry | None:
        with self._lock:
            return self._nodes.get(self.normalize(path, cwd))

    def exists(self, path: str, cwd: str = "/") -> bool:
        return self.stat(path, cwd) is not None

    def is_dir(self, path: str, cwd: str = "/") -> bool:
        entry = self.stat(path, cwd)
        return entry is not None and entry.is_dir

    def read(self, path: str, cwd: str = "/") -> bytes:
        with self._lock:
            entry = self._nodes.get(self.normalize(path, cwd))
            if entry is None:
                raise FsError("No such file or directory")
            if entry.is_dir:
                raise FsError("Is a directory")
            return entry.data

    def listdir(self, path: str, cwd: str = "/") -> list[str]:
        with self._lock:
            entry = self._nodes.get(self.normalize(path, cwd))
            if entry is None:
                raise FsError("No such file or directory")
            if not entry.is_dir:
                raise FsError("Not a directory")
            return sorted(entry.children)

    def list_entries(self, path: str) -> list[tuple[str, Entry]]:
        """Directory entries with their stat, "." and ".." first (what sync LIST sends)."""
        with self._lock:
            full = self.normalize(path)
            entry = self._nodes.get(full)
            if entry is None or not entry.is_dir:
                return []
            parent = self._nodes[posixpath.dirname(full) or "/"]
            items = [(".", entry), ("..", parent)]
            items += [(name, self._nodes[posixpath.join(full, name)]) for name in sorted(entry.children)]
            return items

    def files_under(self, path: str) -> list[tuple[str, Entry]]:
        """Every regular file below `path` (recursively), as (normalized path, entry), sorted."""
        with self._lock:
            root = self.normalize(path)
            prefix = root.rstrip("/") + "/"
            return sorted((name, entry) for name, entry in self._nodes.items()
                          if name.startswith(prefix) and st.S_ISREG(entry.mode))

    # -- changes
    def touch(self, path: str, mtime: float | None = None, create: bool = True, cwd: str = "/") -> None:
        """Set a file's mtime (default: now), creating it empty unless `create` is False."""
        with self._lock:
            entry = self._nodes.get(self.normalize(path, cwd))
            if entry is None:
                if create:
                    self.write(path, b"", mtime=mtime, cwd=cwd)
                return
            if not self.writable(self.normalize(path, cwd)):
                raise FsError("Permission denied")
            entry.mtime = self._clock() if mtime is None else mtime

    def write(self, path: str, data: bytes, mode: int = 0o644, mtime: float | None = None,
              append: bool = False, cwd: str = "/") -> str:
        with self._lock:
            full = self.normalize(path, cwd)
            if full == "/dev/null":
                return full
            existing = self._nodes.get(full)
            if existing is not None and existing.is_dir:
                raise FsError("Is a directory")
            parent = self._nodes.get(posixpath.dirname(full))
            if parent is None:
                raise FsError("No such file or directory")
            if not parent.is_dir:
                raise FsError("Not a directory")
            if not self.writable(full):
                raise FsError("Read-only file system" if full.startswith("/system") else "Permission denied")
            if append and existing is not None:
                data = existing.data + data
            self._nodes[full] = Entry(st.S_IFREG | (mode & 0o7777),
                                      self._clock() if mtime is None else mtime, data)
            parent.children.add(posixpath.basename(full))
            return full

    def mkdir(self, path: str, parents: bool = False, cwd: str = "/") -> None:
        with self._lock:
            full = self.normalize(path, cwd)
            if full in self._nodes:
                if parents and self._nodes[full].is_dir:
                    return
                raise FsError("File exists")
            if not self.writable(full):
                raise FsError("Permission denied")
            if parents:
                self._makedirs(full)
                return
            parent = self._nodes.get(posixpath.dirname(full))
            if parent is None:
                raise FsError("No such file or directory")
            if not parent.is_dir:
                raise FsError("Not a directory")
            self._add_dir(full)

    def remove(self, path: str, recursive: bool = False, cwd: str = "/") -> None:
        with self._lock:
            full = self.normalize(path, cwd)
            entry = self._nodes.get(full)
            if entry is None:
                raise FsError("No such file or directory")
            if not self.writable(full) or full in WRITABLE:
                raise FsError("Permission denied")
            if entry.is_dir:
                if not recursive:
                    raise FsError("Is a directory")
                for child in list(entry.children):
                    self.remove(posixpath.join(full, child), recursive=True)
            del self._nodes[full]
            self._nodes[posixpath.dirname(full)].children.discard(posixpath.basename(full))

    def _add_dir(self, full: str) -> None:
        self._nodes[full] = Entry(st.S_IFDIR | 0o771, self._clock())
        self._nodes[posixpath.dirname(full)].children.add(posixpath.basename(full))

    def _makedirs(self, full: str, force: bool = False) -> None:
        parts = [part for part in full.split("/") if part]
        current = ""
        for part in parts:
            current += "/" + part
            entry = self._nodes.get(current)
            if entry is None:
                if not force and not self.writable(current):
                    raise FsError("Permission denied")
                self._add_dir(current)
            elif not entry.is_dir:
                raise FsError("Not a directory")
