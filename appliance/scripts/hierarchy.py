"""One parsed `uiautomator dump` (or Appium page source): its nodes in drawing order with parent
links, flags and the screen size, plus geometry helpers (centre, region fractions). Pure data, no
phone: built by
`Ui` on a script's worker thread and by `locate()` on the caller's thread.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

#: windows that are never the app: the status bar and the navigation bar ("Home", "Back"), which
#: all-window dumps (uiautomator2, TikMatrix's agent) include
SYSTEM_BARS = frozenset({"com.android.systemui"})
_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")


@dataclass(frozen=True)
class Node:
    index: int                 # position in drawing order (later = drawn above)
    parent: int                # index of the parent node, -1 for a root
    rid: str
    text: str
    desc: str
    cls: str
    package: str
    bounds: tuple[int, int, int, int]
    selected: bool = False
    checked: bool = False
    enabled: bool = True
    clickable: bool = False
    focused: bool = False

    @property
    def center(self) -> tuple[int, int]:
        x1, y1, x2, y2 = self.bounds
        return (x1 + x2) // 2, (y1 + y2) // 2

    @property
    def short_id(self) -> str:
        return self.rid.split(":id/", 1)[-1] if self.rid else ""

    @property
    def kind(self) -> str:
        """The class without its package: `Button`, `EditText`, `FrameLayout`..."""
        return self.cls.rsplit(".", 1)[-1]

    @property
    def width(self) -> int:
        return self.bounds[2] - self.bounds[0]

    @property
    def height(self) -> int:
        return self.bounds[3] - self.bounds[1]

    @property
    def label(self) -> str:
        return self.text or self.desc

    def box(self) -> list[int]:
        return list(self.bounds)


class Screen:
    """One dump. `nodes` in drawing order; `size` the screen's (width, height), taken from the
    widest root (or given by the caller, who knows the phone's `wm size`)."""

    def __init__(self, xml: str, size: tuple[int, int] | None = None):
        self.xml = xml or ""
        self.nodes: list[Node] = []
        self.name: str | None = None      # set by the classifier (screens.classify)
        self.locale: str | None = None
        try:
            root = ET.fromstring(self.xml) if self.xml else None
        except ET.ParseError:
            root = None
        if root is not None:
            self._walk(root, -1)
        self.size = size or self._guess_size()

    def _walk(self, element, parent: int) -> None:
        for el in element:
            # uiautomator writes <node class=...>; Appium's page source names the element by
            # its class (<android.widget.Button ...>). Both carry bounds on every view.
            if el.tag != "node" and el.get("bounds") is None:
                self._walk(el, parent)
                continue
            if el.get("package") in SYSTEM_BARS:
                continue    # dumps of every window hold the status and navigation bars

            match = _BOUNDS.match(el.get("bounds", ""))
            bounds = tuple(int(v) for v in match.groups()) if match else (0, 0, 0, 0)
            index = len(self.nodes)
            self.nodes.append(Node(
                index=index, parent=parent, rid=el.get("resource-id", ""),
                text=el.get("text", ""), desc=el.get("content-desc", ""),
                cls=el.get("class") or (el.tag if el.tag != "node" else ""),
                package=el.get("package", ""),
                bounds=bounds,  # type: ignore[arg-type]
                selected=el.get("selected") == "true", checked=el.get("checked") == "true",
                enabled=el.get("enabled") != "false", clickable=el.get("clickable") == "true",
                focused=el.get("focused") == "true"))
            self._walk(el, index)

    def _guess_size(self) -> tuple[int, int]:
        roots = [n for n in self.nodes if n.parent < 0] or self.nodes
        w = max((n.bounds[2] for n in roots), default=0)
        h = max((n.bounds[3] for n in roots), default=0)
        if w >= 200 and h >= 200 and h >= w:
            return w, h
        return 1080, 2400

    @property
    def ok(self) -> bool:
        return bool(self.nodes)

    def ancestors(self, node: Node):
        index = node.parent
        while index >= 0:
            yield self.nodes[index]
            index = self.nodes[index].parent

    def descendants(self, node: Node) -> list[Node]:
        out, wanted = [], {node.index}
        for other in self.nodes[node.index + 1:]:
            if other.parent in wanted:
                wanted.add(other.index)
                out.append(other)
        return out

    def fraction(self, node: Node) -> tuple[float, float]:
        """The node's centre as fractions of the screen (x, y)."""
        x, y = node.center
        w, h = self.size
        return x / max(1, w), y / max(1, h)

    def has_label(self, *labels: str) -> bool:
        wanted = set(labels)
        return any(n.text in wanted or n.desc in wanted for n in self.nodes)

    def summary(self, limit: int = 14) -> str:
        """What is on screen, for remarks: the screen name, then texts and descs."""
        seen: list[str] = []
        for node in self.nodes:
            label = (node.text or node.desc).strip()
            if label and label not in seen:
                seen.append(label[:40])
        head = f"[{self.name or 'unknown screen'}] " if self.nodes else ""
        body = ", ".join(seen[:limit]) + (" ..." if len(seen) > limit else "")
        return head + (body or "nothing")
