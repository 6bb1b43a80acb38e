"""A strict PNG decoder check without Pillow: chunks, CRCs, and the pixel data's exact size."""

import struct
import zlib

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def decode_png(data: bytes) -> tuple[int, int]:
    """Decode enough of `data` to prove it is a whole PNG; returns (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    assert header, "no IHDR"
    width, height, depth, color = header[:4]
    row = 1 + (width * CHANNELS[color] * depth + 7) // 8
    assert len(zlib.decompress(idat)) == row * height, "pixel data has the wrong size"
    return width, height
