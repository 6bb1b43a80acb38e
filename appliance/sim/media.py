"""The media index as MediaProvider keeps it: the MEDIA_SCANNER_SCAN_FILE broadcast, `content call
--uri content://media --method scan_file|scan_volume` and `content insert|delete` of a row tell the
app (ui) a media file's size and mtime AT SCAN TIME, or that it is gone.

Owns the path -> row id map; runs on adbd stream threads under its own lock; the file system has
its own lock and the app is only called under the phone's `ui_lock`.
"""

from __future__ import annotations

import posixpath
import re
import threading
from urllib.parse import unquote

SCAN_ACTION = "android.intent.action.MEDIA_SCANNER_SCAN_FILE"
VIDEO_EXT = {"mp4", "m4v", "mov", "3gp", "3gpp", "mkv", "webm", "avi", "ts"}
IMAGE_EXT = {"jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "bmp"}
AUDIO_EXT = {"mp3", "m4a", "aac", "ogg", "wav", "flac", "amr"}


def media_kind(path: str) -> str | None:
    ext = path.rsplit(".", 1)[-1].lower() if "." in posixpath.basename(path) else ""
    return ("video" if ext in VIDEO_EXT else "images" if ext in IMAGE_EXT
            else "audio" if ext in AUDIO_EXT else None)


class MediaIndex:
    def __init__(self, android):
        self.android = android
        self._lock = threading.Lock()
        self._rows: dict[str, int] = {}   # /sdcard/... -> MediaStore _id
        self._next_id = 1000000018

    # -- what the commands do
    def scan(self, raw: str) -> str | None:
        """Scan one path (file:// URI or path, any alias of /sdcard) -> its content URI or None."""
        fs = self.android.fs
        raw = unquote(raw.removeprefix("file://"))
        if not raw.startswith("/"):
            return None
        path = fs.normalize(raw)
        entry = fs.stat(path)
        if entry is None:
            self._remove(path)
            return None
        if entry.is_dir:
            for child, _ in fs.files_under(path):
                self.scan(child)
            return None
        kind = media_kind(path)
        if kind is None or not self._visible(path):
            return None
        with self._lock:
            row = self._rows.setdefault(path, self._next_id)
            if row == self._next_id:
                self._next_id += 1
        with self.android.ui_lock:
            self.android.ui.media_scan(path, entry.size, entry.mtime)
        return f"content://media/external_primary/{kind}/media/{row}"

    def scan_volume(self) -> None:
        fs = self.android.fs
        for path, _ in fs.files_under("/sdcard"):
            if media_kind(path):
                self.scan(path)
        with self._lock:
            gone = [path for path in self._rows if fs.stat(path) is None]
        for path in gone:
            self._remove(path)

    def _remove(self, path: str) -> None:
        with self._lock:
            self._rows.pop(path, None)
        with self.android.ui_lock:
            self.android.ui.media_remove(path)

    def _visible(self, path: str) -> bool:
        """The scanner skips /sdcard/Android/ and folders holding a `.nomedia` file."""
        if not path.startswith("/sdcard/") or path.startswith("/sdcard/Android/"):
            return False
        folder = posixpath.dirname(path)
        while folder.startswith("/sdcard"):
            if self.android.fs.stat(folder + "/.nomedia") is not None:
                return False
            folder = posixpath.dirname(folder)
        return True

    # -- shell commands
    def content(self, argv, io) -> int:
        """content call|insert|delete --uri content://media... (the media provider only)."""
        sub = argv[1] if len(argv) > 1 else ""
        opts, binds = _options(argv[2:])
        uri = opts.get("--uri", "")
        if sub not in ("call", "insert", "delete", "query", "update") or not uri:
            io.err.write("usage: adb shell content [subcommand] [options]\n"
                         "  content call --uri <URI> --method <METHOD> [--arg <ARG>]\n")
            return 1
        if not uri.startswith("content://media"):
            io.err.write(f"[ERROR] Unsupported operation: {sub}\n"
                         f"Error while accessing provider:{uri.removeprefix('content://').split('/')[0]}\n"
                         "java.lang.IllegalArgumentException: Unknown authority\n")
            return 1
        if sub == "call":
            method, arg = opts.get("--method", ""), opts.get("--arg", "")
            if method == "scan_file":
                result = self.scan(arg)
                io.out.write(f"Result: Bundle[{{android.intent.extra.STREAM={result or 'null'}}}]\n")
            elif method == "scan_volume":
                self.scan_volume()
                io.out.write("Result: null\n")
            else:
                io.err.write(f"Error while accessing provider:media\n"
                             f"java.lang.UnsupportedOperationException: Unsupported call: {method}\n")
                return 1
            return 0
        if sub == "insert" and "_data" in binds:
            self.scan(binds["_data"])
            return 0
        if sub == "delete":
            match = re.search(r"_data\s*=\s*['\"]([^'\"]+)['\"]", opts.get("--where", ""))
            if match:
                self._remove(self.android.fs.normalize(match.group(1)))
            return 0
        return 0  # query/update: nothing the simulator stands behind

    def broadcast(self, data: str | None, io) -> int:
        """`am broadcast -a MEDIA_SCANNER_SCAN_FILE -d file://PATH` (Android still honours it)."""
        if data:
            self.scan(data)
        intent = f"act={SCAN_ACTION}" + (f" dat={data}" if data else "") + " flg=0x400000"
        io.out.write(f"Broadcasting: Intent {{ {intent} }}\nBroadcast completed: result=0\n")
        return 0


def _options(args: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    opts: dict[str, str] = {}
    binds: dict[str, str] = {}
    i = 0
    while i < len(args):
        if args[i] == "--bind" and i + 1 < len(args):
            name, _, rest = args[i + 1].partition(":")
            binds[name] = rest.partition(":")[2]
            i += 2
        elif args[i].startswith("--") and i + 1 < len(args):
            opts[args[i]] = args[i + 1]
            i += 2
        else:
            i += 1
    return opts, binds
