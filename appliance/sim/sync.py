"""The `sync:` service (AOSP SYNC.TXT): STAT, LIST, SEND, RECV, QUIT over one ADB stream.

Runs on the stream's own service thread; the file system it reads and writes has its own lock.
Requests are a byte stream across WRTE packets, so everything is read with `read_exact`.
"""

from __future__ import annotations

import struct
import time

from appliance.sim.fs import FsError

_U32 = struct.Struct("<I")
_STAT = struct.Struct("<4sIII")
_DENT = struct.Struct("<4sIIII")
CHUNK = 64 * 1024  # SYNC_DATA_MAX


def _fail(message: str) -> bytes:
    data = message.encode()
    return b"FAIL" + _U32.pack(len(data)) + data


def serve_sync(stream, fs, latency=lambda: 0.0) -> None:
    while True:
        header = stream.read_exact(8)
        ident, length = header[:4], _U32.unpack(header[4:])[0]
        if ident == b"QUIT":
            return
        if ident not in (b"STAT", b"LIST", b"SEND", b"RECV") or length > 4096:
            stream.write(_fail(f"unknown sync request {ident!r}"))
            return
        path = stream.read_exact(length).decode("utf-8", "surrogateescape")
        delay = latency()
        if delay:
            time.sleep(delay)
        if ident == b"STAT":
            entry = fs.stat(path)
            if entry is None:
                stream.write(_STAT.pack(b"STAT", 0, 0, 0))
            else:
                stream.write(_STAT.pack(b"STAT", entry.mode, entry.size & 0xFFFFFFFF, int(entry.mtime)))
        elif ident == b"LIST":
            out = bytearray()
            for name, entry in fs.list_entries(path):
                raw = name.encode("utf-8", "surrogateescape")
                out += _DENT.pack(b"DENT", entry.mode, entry.size & 0xFFFFFFFF, int(entry.mtime),
                                  len(raw)) + raw
            out += _DENT.pack(b"DONE", 0, 0, 0, 0)
            stream.write(bytes(out))
        elif ident == b"SEND":
            _receive_file(stream, fs, path)
        else:
            _send_file(stream, fs, path)


def _receive_file(stream, fs, spec: str) -> None:
    path, _, mode_text = spec.rpartition(",")
    if not path:
        path, mode_text = spec, "33188"
    try:
        mode = int(mode_text) & 0o7777
    except ValueError:
        mode = 0o644
    data = bytearray()
    while True:
        header = stream.read_exact(8)
        ident, value = header[:4], _U32.unpack(header[4:])[0]
        if ident == b"DATA":
            if value > CHUNK:
                stream.write(_fail("data chunk too large"))
                return
            data += stream.read_exact(value)
        elif ident == b"DONE":
            try:
                fs.write(path, bytes(data), mode=mode, mtime=value)
            except FsError as exc:
                stream.write(_fail(f"couldn't create file: {exc}"))
                return
            stream.write(b"OKAY" + _U32.pack(0))
            return
        else:
            stream.write(_fail(f"invalid data message {ident!r}"))
            return


def _send_file(stream, fs, path: str) -> None:
    try:
        data = fs.read(path)
    except FsError as exc:
        stream.write(_fail(str(exc)))
        return
    out = bytearray()
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK]
        out += b"DATA" + _U32.pack(len(chunk)) + chunk
    out += b"DONE" + _U32.pack(0)
    stream.write(bytes(out))
