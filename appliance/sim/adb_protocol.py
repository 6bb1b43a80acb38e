"""ADB transport message framing (AOSP protocol.txt): constants, packing and a blocking reader.

Pure functions plus `read_message(sock)`; each connection thread of `adbd` calls them on its own
socket, so nothing here is shared between threads.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

A_CNXN = 0x4E584E43
A_AUTH = 0x48545541
A_OPEN = 0x4E45504F
A_OKAY = 0x59414B4F
A_WRTE = 0x45545257
A_CLSE = 0x45534C43
A_SYNC = 0x434E5953
A_STLS = 0x534C5453

NAMES = {A_CNXN: "CNXN", A_AUTH: "AUTH", A_OPEN: "OPEN", A_OKAY: "OKAY", A_WRTE: "WRTE",
         A_CLSE: "CLSE", A_SYNC: "SYNC", A_STLS: "STLS"}

# Version 0x01000001 lets both sides skip payload checksums; the adb 29 server offers it.
VERSION_SKIP_CHECKSUM = 0x01000001
VERSION_MIN = 0x01000000
MAX_PAYLOAD = 256 * 1024          # what a modern adbd announces
MAX_PAYLOAD_LEGACY = 4096         # what an old (pre-0x01000001) device announces

AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3

HEADER = struct.Struct("<6I")
MAX_ACCEPTED_PAYLOAD = 1024 * 1024  # the server never sends more than its own 1 MiB max


class ProtocolError(Exception):
    """The peer sent something that is not an ADB message (bad magic, oversized payload)."""


@dataclass(frozen=True, slots=True)
class Message:
    command: int
    arg0: int
    arg1: int
    payload: bytes = b""

    @property
    def name(self) -> str:
        return NAMES.get(self.command, hex(self.command))


def checksum(payload: bytes) -> int:
    # A byte sum, not a CRC (docs/LIBRARIES.md, ADB transport).
    return sum(payload) & 0xFFFFFFFF


def pack(command: int, arg0: int, arg1: int, payload: bytes = b"", *, with_checksum: bool = True) -> bytes:
    """One message as bytes; `with_checksum=False` writes 0 as protocol >= 0x01000001 allows."""
    crc = checksum(payload) if with_checksum else 0
    return HEADER.pack(command, arg0, arg1, len(payload), crc, command ^ 0xFFFFFFFF) + payload


def recv_exact(sock: socket.socket, size: int) -> bytes:
    """Read exactly `size` bytes, or raise EOFError if the peer closes first."""
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_message(sock: socket.socket) -> Message:
    command, arg0, arg1, length, _crc, magic = HEADER.unpack(recv_exact(sock, HEADER.size))
    if magic != command ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad magic for command {command:#x}")
    if length > MAX_ACCEPTED_PAYLOAD:
        raise ProtocolError(f"payload of {length} bytes is too large")
    payload = recv_exact(sock, length) if length else b""
    return Message(command, arg0, arg1, payload)
