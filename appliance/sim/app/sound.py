"""Sounds of the simulated app: the catalogue a search or a music link finds, the sound page
("Use this sound" -> the camera with that sound) and the editor's sound picker (Sounds: a
search box and rows; Volume: "Original sound" and "Added sound" sliders, 0-100).

Built afresh per look by `App.window()` under `AndroidUi`'s lock.
"""

from __future__ import annotations

import zlib
from functools import partial

from .base import BUTTON, EDIT, FRAME, IMAGE, LINEAR, RECYCLER, TEXT, Screen, TextField
from .render import BLOCK, Node

SEEKBAR = "android.widget.SeekBar"
RECOMMENDED = ("Trending beat", "original sound", "Summer vibes", "Lo-fi morning")


def sound(title: str) -> dict:
    """A sound of the catalogue: a stable id from its title, an author and a use count."""
    crc = zlib.crc32(title.lower().encode())
    return {"id": str(7_000_000_000_000_000_000 + crc), "title": title,
            "author": f"artist{crc % 97}", "videos": 1000 + crc % 900_000}


def search(query: str) -> list[dict]:
    """What the app's sound search lists for `query` (the exact title first)."""
    q = " ".join(query.split())
    if not q:
        return [sound(t) for t in RECOMMENDED]
    return [sound(q), sound(f"{q} (remix)"), sound(f"{q} - sped up")]


def from_link(path: str) -> dict | None:
    """The sound of a `/music/<slug>-<id>` link path; None for any other path."""
    parts = [p for p in path.split("/") if p]
    if len(parts) != 2 or parts[0] != "music":
        return None
    slug, _, tail = parts[1].rpartition("-")
    title = slug.replace("-", " ") if tail.isdigit() and slug else parts[1].replace("-", " ")
    found = sound(title)
    if tail.isdigit():
        found["id"] = tail
    return found


class SoundPageScreen(Screen):
    """A sound's page: its title, author, use count and the red "Use this sound" button."""

    activity = "com.ss.android.ugc.aweme.music.ui.MusicDetailActivity"

    def __init__(self, found: dict):
        self.sound = found

    def _use(self, app) -> None:
        from .create import CameraScreen
        app.push(CameraScreen(sound=dict(self.sound), via="useSound"))

    def build(self, app) -> Node:
        r, t = app.r, app.t
        s = self.sound
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        return root.add(
            Node(IMAGE, r(20, 100, 130, 210), desc=t("Back"), on_tap=app.pop),
            Node(IMAGE, r(40, 260, 340, 560), color="grey"),
            Node(TEXT, r(380, 280, 1040, 360), text=s["title"]),
            Node(TEXT, r(380, 380, 1040, 440), text=s["author"]),
            Node(TEXT, r(380, 460, 1040, 520), text=t("{n} videos", n=app.n(s["videos"]))),
            Node(BUTTON, r(240, 2200, 840, 2330), text=t("Use this sound"), color="red",
                 on_tap=lambda: self._use(app)))


def _seekbar(app, box, value: int, enabled: bool, on_set) -> Node:
    node = Node(SEEKBAR, app.r(*box), text=str(value), enabled=enabled, focusable=True,
                color="red" if enabled else "grey", on_tap=BLOCK)
    if enabled:
        node.tap_at = lambda fraction: on_set(max(0, min(100, round(fraction * 100))))
    return node


class SoundPickerScreen(Screen):
    """The editor's "Add sound" panel. Back (or Close) returns to the editor with the choice."""

    activity = "com.ss.android.ugc.aweme.shortvideo.edit.VEVideoPublishEditActivity"

    def __init__(self, editor):
        self.editor = editor
        self.query = TextField("Search sounds", on_submit=self._submit)
        self.searched = ""
        self.tab = "Sounds"

    def _submit(self) -> None:
        self.searched = self.query.value

    def _choose(self, app, found: dict) -> None:
        self.editor.sound = dict(found)
        app.records.add("sound_chosen", account=app.current, sound=found["title"],
                        sound_id=found["id"])

    def _volume(self, which: str, value: int) -> None:
        self.editor.volumes[which] = value

    def build(self, app) -> Node:
        r, t = app.r, app.t
        root = Node(FRAME, r(0, 0, 1080, 2400), color="dark")
        sheet = Node(FRAME, r(0, 300, 1080, 2400), color="white", on_tap=BLOCK)
        sheet.add(Node(IMAGE, r(20, 320, 120, 420), desc=t("Close"), on_tap=app.pop))
        for i, tab in enumerate(("Sounds", "Volume")):
            x = 300 + i * 260
            sheet.add(Node(TEXT, r(x, 320, x + 240, 420), text=t(tab), selected=self.tab == tab,
                           on_tap=partial(setattr, self, "tab", tab)))
        if self.tab == "Volume":
            chosen = self.editor.sound is not None
            vol = self.editor.volumes
            sheet.add(Node(TEXT, r(40, 480, 1040, 560), text=t("Original sound")),
                      _seekbar(app, (40, 580, 1040, 660), vol["origin"], True,
                               lambda v: self._volume("origin", v)),
                      Node(TEXT, r(40, 720, 1040, 800), text=t("Added sound")),
                      _seekbar(app, (40, 820, 1040, 900), vol["added"], chosen,
                               lambda v: self._volume("added", v)))
            return root.add(sheet)
        field = self.query
        sheet.add(Node(EDIT, r(40, 460, 1040, 560), text=field.value or t(field.hint),
                       focusable=True, focused=app.focus is field, color="light",
                       on_tap=lambda: setattr(app, "focus", field)))
        rows = Node(RECYCLER, r(0, 600, 1080, 2400), scrollable=True)
        chosen_id = self.editor.sound["id"] if self.editor.sound else None
        for i, found in enumerate(search(self.searched)):
            y = 600 + i * 180
            row = Node(LINEAR, r(0, y, 1080, y + 170), selected=found["id"] == chosen_id,
                       on_tap=partial(self._choose, app, found))
            row.add(Node(IMAGE, r(40, y + 20, 170, y + 150), color="grey"),
                    Node(TEXT, r(200, y + 20, 1040, y + 90), text=found["title"]),
                    Node(TEXT, r(200, y + 95, 1040, y + 150), text=found["author"]))
            rows.add(row)
        return root.add(sheet.add(rows))


def sound_rows(app, listing: Node, query: str) -> Node:
    """The search's Sounds tab: a row per sound (title, author, use count) that opens its page."""
    r, t = app.r, app.t

    def open_page(found: dict) -> None:
        app.push(SoundPageScreen(dict(found)))

    for i, found in enumerate(search(query) if query.strip() else []):
        y = 360 + i * 200
        row = Node(LINEAR, r(0, y, 1080, y + 190), on_tap=partial(open_page, found))
        row.add(Node(IMAGE, r(40, y + 20, 190, y + 170), color="grey"),
                Node(TEXT, r(220, y + 20, 1040, y + 90), text=found["title"]),
                Node(TEXT, r(220, y + 95, 1040, y + 160),
                     text=f"{found['author']} · {t('{n} videos', n=app.n(found['videos']))}"))
        listing.add(row)
    if not listing.children:
        listing.add(Node(TEXT, r(40, 400, 1040, 500), text=t("No results found")))
    return listing
