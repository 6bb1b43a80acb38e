"""The view tree of the simulated screen: `Node`, its uiautomator XML and its PNG picture.

Pure functions over a tree that the screens build afresh on every look; no state, no threads
(callers hold `AndroidUi`'s lock).
"""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

XML_HEAD = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"

# Palette of the screenshot: index -> RGB. Screens pick colours by name.
PALETTE = {
    "black": (0, 0, 0), "white": (255, 255, 255), "dark": (22, 24, 35), "grey": (120, 120, 128),
    "light": (235, 235, 240), "red": (254, 44, 85), "cyan": (37, 244, 238), "blue": (40, 120, 230),
    "green": (46, 170, 90), "yellow": (250, 206, 21), "scrim": (60, 60, 66), "purple": (110, 70, 200),
    "brown": (140, 90, 60), "teal": (20, 140, 150), "orange": (240, 130, 30), "pink": (240, 150, 190),
}


def BLOCK() -> None:
    """The tap action of panels and scrims: they swallow taps so the views below do not get them."""


_INDEX = {name: i for i, name in enumerate(PALETTE)}
_PLTE = b"".join(bytes(rgb) for rgb in PALETTE.values())


@dataclass
class Node:
    """One view as uiautomator reports it, plus what a tap on it does (`on_tap`) and its colour."""

    cls: str
    bounds: tuple[int, int, int, int]
    rid: str = ""
    text: str = ""
    desc: str = ""
    package: str = ""
    clickable: bool = False
    checkable: bool = False
    checked: bool = False
    enabled: bool = True
    focusable: bool = False
    focused: bool = False
    scrollable: bool = False
    long_clickable: bool = False
    password: bool = False
    selected: bool = False
    color: str | None = None
    on_tap: Callable[[], None] | None = None
    tap_at: Callable[[float], None] | None = None  # a slider: set it at this fraction of its width
    children: list[Node] = field(default_factory=list)

    def add(self, *nodes: Node) -> Node:
        self.children.extend(n for n in nodes if n is not None)
        return self

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def fill_package(root: Node, package: str) -> None:
    """Give every node without a package the window's package, and expand short resource ids."""
    for node in root.walk():
        node.package = node.package or package
        if node.rid and ":" not in node.rid:
            node.rid = f"{node.package}:id/{node.rid}"


def hit(roots: list[Node], x: int, y: int) -> Node | None:
    """The topmost node with a tap action whose bounds hold (x, y): the last in drawing order."""
    found = None
    for root in roots:
        for node in root.walk():
            x1, y1, x2, y2 = node.bounds
            if node.on_tap is not None and x1 <= x < x2 and y1 <= y < y2:
                found = node
    return found


# KXmlSerializer (what uiautomator uses) writes control characters in attributes as character
# references, so a comment with a newline survives the round trip through a parser; characters
# XML 1.0 cannot hold are dropped (uiautomator drops them too).
_ESCAPES: dict[int, str | None] = dict.fromkeys(
    (*range(0x20), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF))
_ESCAPES.update({ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;",
                 **{ord(ch): f"&#{ord(ch)};" for ch in "\n\r\t"}})


def _esc(value: str) -> str:
    return value.translate(_ESCAPES)


def _b(value: bool) -> str:
    return "true" if value else "false"


def _node_xml(node: Node, index: int, out: list[str]) -> None:
    x1, y1, x2, y2 = node.bounds
    tappable = node.on_tap not in (None, BLOCK)
    out.append(
        f'<node index="{index}" text="{_esc(node.text)}" resource-id="{_esc(node.rid)}" '
        f'class="{_esc(node.cls)}" package="{_esc(node.package)}" content-desc="{_esc(node.desc)}" '
        f'checkable="{_b(node.checkable)}" checked="{_b(node.checked)}" '
        f'clickable="{_b(node.clickable or tappable)}" enabled="{_b(node.enabled)}" '
        f'focusable="{_b(node.focusable or tappable)}" focused="{_b(node.focused)}" '
        f'scrollable="{_b(node.scrollable)}" long-clickable="{_b(node.long_clickable)}" '
        f'password="{_b(node.password)}" selected="{_b(node.selected)}" '
        f'bounds="[{x1},{y1}][{x2},{y2}]"'
    )
    if node.children:
        out.append(">")
        for i, child in enumerate(node.children):
            _node_xml(child, i, out)
        out.append("</node>")
    else:
        out.append(" />")


def to_xml(roots: list[Node]) -> str:
    """The hierarchy as `uiautomator dump` writes it: one line, windows as top-level nodes."""
    out = [XML_HEAD, '<hierarchy rotation="0">']
    for i, root in enumerate(roots):
        _node_xml(root, i, out)
    out.append("</hierarchy>")
    return "".join(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def to_png(roots: list[Node], width: int, height: int) -> bytes:
    """A palette PNG with each coloured node drawn as a rectangle, later nodes on top.

    Rows only change at rectangle edges, so each band of equal rows is built once; repeated rows
    use PNG filter 2 (Up), which turns them into zeros that zlib swallows cheaply.
    """
    rects = []
    for root in roots:
        for node in root.walk():
            if node.color:
                x1, y1, x2, y2 = (max(0, min(v, lim)) for v, lim in
                                  zip(node.bounds, (width, height, width, height), strict=True))
                if x2 > x1 and y2 > y1:
                    rects.append((x1, y1, x2, y2, _INDEX[node.color]))
    edges = sorted({0, height, *(r[1] for r in rects), *(r[3] for r in rects)})
    zero_row = b"\x02" + bytes(width)
    parts = []
    for top, bottom in itertools.pairwise(edges):
        row = bytearray(width)  # index 0 = black background
        for x1, y1, x2, y2, colour in rects:
            if y1 <= top < y2:
                row[x1:x2] = bytes([colour]) * (x2 - x1)
        parts.append(b"\x00" + bytes(row))
        parts.append(zero_row * (bottom - top - 1))
    raw = b"".join(parts)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"PLTE", _PLTE)
            + _chunk(b"IDAT", zlib.compress(raw, 1)) + _chunk(b"IEND", b""))
