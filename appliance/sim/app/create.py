"""The posting flow up to the caption: Camera (Create; a shutter that takes a photo, an unlabeled
gallery entry) -> Gallery over the camera (media-scanned files, newest first; one video or up to
35 photos; the media permission on Android 13+) -> Editor (Next, sometimes ignored; "Add sound"
opens the sound picker; "Your Story" publishes a story). The camera may carry a sound from a
sound page ("Use this sound"); the editor carries the chosen sound, volumes and the entry path.

Built afresh per look by `App.window()` under `AndroidUi`'s lock.
"""

from __future__ import annotations

from functools import partial

from .base import BUTTON, FRAME, IMAGE, RECYCLER, TEXT, Screen, tab_node
from .publish import CaptionScreen
from .render import BLOCK, Node
from .sound import SoundPickerScreen
from .state import Media

MAX_PHOTOS = 35
SHUTTER_DESC = "@2131888184"
ROWS = 5  # gallery rows on screen (pitch 360 from y 340)


def _tool_column(app, key: str, tools: tuple[str, ...]) -> list[Node]:
    """The camera's and the editor's column of tool icons on the right (taps do nothing)."""
    nodes = []
    for i, tool in enumerate(tools):
        y = 260 + i * 150
        nodes.append(Node(IMAGE, app.r(950, y, 1050, y + 100), app.k(key), desc=app.t(tool),
                          on_tap=lambda: None))
    return nodes


class CameraScreen(Screen):
    activity = "com.ss.android.ugc.aweme.shortvideo.ui.VideoRecordNewActivity"

    def __init__(self, sound: dict | None = None, via: str = "addButton"):
        self.sound, self.via = sound, via  # a sound page's sound; how the post started

    def _open_gallery(self, app) -> None:
        app.push(GalleryScreen(self))
        if not app.media_kinds():
            app.ask_media_permission()

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        root = Node(FRAME, r(0, 0, 1080, 2400), color="black")
        root.add(Node(IMAGE, r(20, 100, 140, 220), k("camera_close"), desc=t("Close"),
                      on_tap=app.pop),
                 Node(TEXT, r(340, 110, 740, 200), k("camera_sound"),
                      text=self.sound["title"] if self.sound else t("Add sound"),
                      on_tap=lambda: None))
        root.add(*_tool_column(app, "camera_tool", ("Flip", "Speed", "Filters", "Timer")))
        for i, mode in enumerate(("10m", "60s", "15s", "PHOTO", "TEXT")):
            x = 140 + i * 170
            root.add(Node(TEXT, r(x, 1800, x + 150, 1860), k("camera_mode"), text=t(mode),
                          selected=i == 2, on_tap=lambda: None))
        thumb = Node(IMAGE, r(20, 2096, 190, 2224), k("camera_thumb"),
                     color="teal" if app.gallery else "grey")
        root.add(Node(IMAGE, r(440, 1900, 640, 2100), k("camera_shutter"), desc=SHUTTER_DESC,
                      color="red", on_tap=lambda: app.take_photo()),
                 Node(FRAME, r(0, 2081, 210, 2239), k("camera_gallery"),
                      on_tap=lambda: self._open_gallery(app)).add(thumb),
                 Node(TEXT, r(360, 2280, 520, 2360), k("camera_bottom"), text=t("POST"),
                      selected=True),
                 Node(TEXT, r(560, 2280, 720, 2360), k("camera_bottom"), text=t("CREATE")))
        return root


class GalleryScreen(Screen):
    """The media picker, drawn over the camera (whose nodes stay below in the dump)."""

    activity = "com.ss.android.ugc.aweme.mediachoose.MediaChooseActivity"

    def __init__(self, camera: CameraScreen):
        self.camera = camera
        self.tab = "All"
        self.selected: list[Media] = []
        self.first_row = 0

    def _shown(self, app) -> list[Media]:
        allowed = app.media_kinds()
        want = {"All": ("video", "image"), "Videos": ("video",), "Photos": ("image",),
                "AI gallery": ()}[self.tab]
        return [m for m in app.gallery_items() if m.kind in want and m.kind in allowed]

    def _choose(self, media: Media) -> None:
        chosen = [m.path for m in self.selected]
        if media.path in chosen:
            self.selected = [m for m in self.selected if m.path != media.path]
        elif media.kind == "video":
            self.selected = [media]  # a post is one video, or photos
        else:
            self.selected = [m for m in self.selected if m.kind == "image"]
            if len(self.selected) < MAX_PHOTOS:
                self.selected.append(media)

    def _set_tab(self, tab: str) -> None:
        self.tab, self.first_row = tab, 0

    def on_swipe(self, app, dx: int, dy: int) -> None:
        rows = (len(self._shown(app)) + 2) // 3
        if dy < -150:
            self.first_row = min(self.first_row + 4, max(0, rows - ROWS))
        elif dy > 150:
            self.first_row = max(0, self.first_row - 4)

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        root = self.camera.build(app)
        over = Node(FRAME, r(0, 0, 1080, 2400), k("gallery_root"), color="dark", on_tap=BLOCK)
        over.add(Node(IMAGE, r(20, 100, 140, 220), k("gallery_close"), desc=t("Close"),
                      on_tap=app.pop),
                 Node(TEXT, r(340, 110, 740, 200), k("gallery_album"), text=t("Recents"),
                      on_tap=lambda: None))
        for i, tab in enumerate(("All", "Videos", "Photos", "AI gallery")):
            over.add(tab_node(app, (i * 270, 220, (i + 1) * 270, 320), "gallery_tab", t(tab),
                              self.tab == tab, lambda tab=tab: self._set_tab(tab)))
        grid = Node(RECYCLER, r(0, 340, 1080, 2220), k("gallery_grid"), scrollable=True)
        chosen = [m.path for m in self.selected]
        shown = self._shown(app)
        for i, media in enumerate(shown[self.first_row * 3:(self.first_row + ROWS) * 3]):
            x, y = (i % 3) * 360 + 3, 340 + (i // 3) * 360 + 3
            order = chosen.index(media.path) + 1 if media.path in chosen else 0
            tile = Node(FRAME, r(x, y, x + 354, y + 354), on_tap=partial(self._choose, media))
            tile.add(Node(IMAGE, r(x, y, x + 354, y + 354), k("gallery_thumb"),
                          color="teal" if media.kind == "video" else "orange"))
            if media.kind == "video":
                tile.add(Node(TEXT, r(x + 20, y + 294, x + 160, y + 344), k("gallery_duration"),
                              text=media.duration))
            tile.add(Node(TEXT, r(x + 284, y + 10, x + 344, y + 70), k("gallery_select"),
                          text=str(order) if order else "", checkable=True, checked=bool(order),
                          color="red" if order else "white",
                          on_tap=partial(self._choose, media)))
            grid.add(tile)
        if not app.media_kinds():
            grid.add(Node(TEXT, r(90, 1000, 990, 1100), k("gallery_empty"),
                          text=t("Allow access to your photos and videos")))
        ready = bool(self.selected)
        over.add(grid,
                 Node(TEXT, r(40, 2260, 400, 2370), k("gallery_multi"), text=t("Select multiple"),
                      on_tap=lambda: None),
                 Node(BUTTON, r(760, 2260, 1060, 2370), k("gallery_next"), text=t("Next"),
                      enabled=ready, clickable=True, color="red" if ready else "grey",
                      on_tap=(lambda: app.push(EditorScreen(
                          list(self.selected), sound=self.camera.sound, via=self.camera.via)))
                      if ready else BLOCK))
        return root.add(over)


class EditorScreen(Screen):
    activity = "com.ss.android.ugc.aweme.shortvideo.edit.VEVideoPublishEditActivity"

    def __init__(self, media: list[Media], sound: dict | None = None, via: str = "addButton"):
        self.media = media
        self.sound = dict(sound) if sound else None
        self.volumes = {"origin": 50, "added": 50}  # the picker's Volume sliders
        self.via = via  # addButton (Create), share (system share), useSound (a sound page)

    def details(self) -> dict:
        """What the post record keeps of this edit: entry path, sound and volumes."""
        return {"via": self.via, "sound": self.sound["title"] if self.sound else None,
                "sound_id": self.sound["id"] if self.sound else None,
                "origin_volume": self.volumes["origin"],
                "added_volume": self.volumes["added"] if self.sound else None}

    def _next(self, app) -> None:
        if app.rng.random() < app.next_ignore_rate:
            return  # still processing: the tap is lost
        app.push(CaptionScreen(self.media, self))

    def _story(self, app) -> None:
        app.publish(self.media, "", placement="story", **self.details())
        app.reset_to(app.feed())

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        root = Node(FRAME, r(0, 0, 1080, 2400), color="purple")
        root.add(Node(IMAGE, r(20, 100, 140, 220), k("back"), desc=t("Back"), on_tap=app.pop),
                 Node(TEXT, r(340, 110, 740, 200), k("editor_sound"),
                      text=self.sound["title"] if self.sound else t("Add sound"),
                      on_tap=lambda: app.push(SoundPickerScreen(self))))
        root.add(*_tool_column(app, "editor_tool", ("Text", "Stickers", "Effects", "Filters")))
        return root.add(
            Node(BUTTON, r(40, 2260, 400, 2370), k("editor_story"), text=t("Your Story"),
                 color="light", on_tap=lambda: self._story(app)),
            Node(BUTTON, r(760, 2260, 1060, 2370), k("editor_next"), text=t("Next"), color="red",
                 on_tap=lambda: self._next(app)))


STORAGE_ALIASES = ("/storage/emulated/0/", "/storage/self/primary/", "/mnt/sdcard/")


def receive_share(app, uris: list[str]) -> str | None:
    """An ACTION_SEND of media into the app (the system share sheet): the editor opens over the
    feed with those files. None when it worked, else why not (the words `am` would not print,
    for the record): logged out, a file the app cannot read or that the media store lacks."""
    paths = []
    for uri in uris:
        path = uri[len("file://"):] if uri.startswith("file://") else uri
        for alias in STORAGE_ALIASES:
            if path.startswith(alias):
                path = "/sdcard/" + path[len(alias):]
        paths.append(path)
    known = {m.path: m for m in app.gallery_items() if m.kind in app.media_kinds()}
    media = [known[p] for p in paths if p in known]
    reason = ("logged out" if not app.account else "no media" if not media
              else "not readable" if len(media) < len(paths)
              else "mixed" if len({m.kind for m in media}) > 1 else None)
    app.records.add("share_received", account=app.current, paths=paths, refused=reason)
    if reason is None:
        app.reset_to(app.feed())
        app.push(EditorScreen(media[:1] if media[0].kind == "video" else media[:MAX_PHOTOS],
                              via="share"))
    return reason
