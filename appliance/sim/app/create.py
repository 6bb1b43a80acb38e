"""The posting flow: Create (camera) -> Upload (gallery picker of media-scanned files: one video
or up to 35 photos) -> Edit (Next) -> Post (caption field, Post button) -> back to the feed with
an upload banner that completes after `App.upload_seconds`.

Built afresh per look by `App.window()` under `AndroidUi`'s lock.
"""

from __future__ import annotations

from .base import BUTTON, CHECK, FRAME, IMAGE, RECYCLER, TABS, TEXT, Screen, TextField, edit_node
from .render import Node
from .state import Media

MAX_PHOTOS = 35


class CreateScreen(Screen):
    activity = "com.ss.android.ugc.aweme.shortvideo.ui.VideoRecordNewActivity"

    def build(self, app) -> Node:
        r, N = app.r, Node
        root = N(FRAME, r(0, 0, 1080, 2400), "create_root", color="black")
        return root.add(
            N(IMAGE, r(20, 100, 140, 220), "create_close", desc="Close", on_tap=app.pop),
            N(IMAGE, r(440, 1900, 640, 2100), "record_button", desc="Record video", color="red"),
            N(TEXT, r(820, 1940, 1000, 2100), "upload_button", text="Upload", desc="Upload",
              color="grey", on_tap=lambda: app.push(GalleryScreen())))


class GalleryScreen(Screen):
    activity = "com.ss.android.ugc.aweme.mediachoose.MediaChooseActivity"

    def __init__(self):
        self.tab = "all"
        self.selected: list[Media] = []
        self.first_row = 0  # scroll position in rows of 4

    def _shown(self, app) -> list[Media]:
        want = {"all": ("video", "image"), "videos": ("video",), "photos": ("image",)}[self.tab]
        return [m for m in app.gallery if m.kind in want]

    def _toggle(self, media: Media) -> None:
        if media in self.selected:
            self.selected.remove(media)
        elif media.kind == "video":
            self.selected = [media]  # a post is one video, or photos
        else:
            self.selected = [m for m in self.selected if m.kind == "image"]
            if len(self.selected) < MAX_PHOTOS:
                self.selected.append(media)

    def on_swipe(self, app, dx: int, dy: int) -> None:
        rows = (len(self._shown(app)) + 3) // 4
        if dy < -150:
            self.first_row = min(self.first_row + 6, max(0, rows - 6))
        elif dy > 150:
            self.first_row = max(0, self.first_row - 6)

    def build(self, app) -> Node:
        r = app.r
        root = Node(FRAME, r(0, 0, 1080, 2400), "gallery_root", color="dark")
        root.add(Node(IMAGE, r(20, 100, 140, 220), "gallery_close", desc="Close", on_tap=app.pop),
                 Node(TEXT, r(340, 100, 740, 220), "gallery_title", text="Recents"))
        tabs = Node(TABS, r(0, 220, 1080, 320), "gallery_tabs")
        for i, (key, label) in enumerate((("all", "All"), ("videos", "Videos"), ("photos", "Photos"))):
            tabs.add(Node(TEXT, r(i * 360, 220, (i + 1) * 360, 320), f"gallery_tab_{key}",
                          text=label, selected=self.tab == key,
                          on_tap=lambda key=key: setattr(self, "tab", key)))
        root.add(tabs)
        grid = Node(RECYCLER, r(0, 340, 1080, 2220), "gallery_grid", scrollable=True)
        shown = self._shown(app)
        for i, media in enumerate(shown[self.first_row * 4:(self.first_row + 6) * 4]):
            x, y = (i % 4) * 270, 340 + (i // 4) * 300
            chosen = media in self.selected
            label = "Video" if media.kind == "video" else "Photo"
            grid.add(Node(FRAME, r(x + 3, y + 3, x + 267, y + 297), "gallery_item",
                          desc=f"{label}, {media.name}, {media.size} bytes", selected=chosen,
                          color="teal" if media.kind == "video" else "orange",
                          on_tap=lambda m=media: self._toggle(m)).add(
                Node(CHECK, r(x + 190, y + 15, x + 255, y + 80), "gallery_check",
                     text=str(self.selected.index(media) + 1) if chosen else "",
                     checkable=True, checked=chosen),
                Node(TEXT, r(x + 15, y + 230, x + 255, y + 290), "gallery_item_name",
                     text=media.name)))
        if not shown:
            grid.add(Node(TEXT, r(40, 400, 1040, 500), "gallery_empty",
                          text="No videos or photos"))
        root.add(grid)
        n = len(self.selected)
        root.add(Node(BUTTON, r(760, 2260, 1060, 2370), "gallery_next",
                      text=f"Next ({n})" if n else "Next", enabled=bool(n),
                      color="red" if n else "grey",
                      on_tap=(lambda: app.push(EditScreen(list(self.selected)))) if n else None))
        return root


class EditScreen(Screen):
    activity = "com.ss.android.ugc.aweme.shortvideo.edit.VEVideoPublishEditActivity"

    def __init__(self, media: list[Media]):
        self.media = media

    def build(self, app) -> Node:
        r = app.r
        root = Node(FRAME, r(0, 0, 1080, 2400), "edit_root", color="purple")
        return root.add(
            Node(IMAGE, r(20, 100, 140, 220), "edit_back", desc="Back", on_tap=app.pop),
            Node(TEXT, r(340, 100, 740, 220), "edit_sounds", text="Add sound"),
            Node(BUTTON, r(760, 2260, 1060, 2370), "edit_next", text="Next", color="red",
                 on_tap=lambda: app.push(PostScreen(self.media))))


class PostScreen(Screen):
    activity = "com.ss.android.ugc.aweme.shortvideo.publish.VideoPublishActivity"

    def __init__(self, media: list[Media]):
        self.media = media
        self.caption = TextField(
            "Describe your post, add hashtags, or mention creators that inspired you",
            multiline=True)

    def _post(self, app) -> None:
        app.publish(self.media, self.caption.value)
        app.reset_to(app.feed())

    def _drafts(self, app) -> None:
        app.records.add("draft", account=app.current, caption=self.caption.value,
                        media=[m.name for m in self.media])
        app.reset_to(app.feed())

    def build(self, app) -> Node:
        r = app.r
        root = Node(FRAME, r(0, 0, 1080, 2400), "post_root", color="white")
        kind = "video" if self.media[0].kind == "video" else f"{len(self.media)} photos"
        append = lambda s: setattr(self.caption, "value", self.caption.value + s)  # noqa: E731
        return root.add(
            Node(IMAGE, r(20, 100, 140, 220), "post_back", desc="Back", on_tap=app.pop),
            Node(TEXT, r(340, 100, 740, 220), "post_title", text="Post"),
            edit_node(app, self.caption, "caption_input", (40, 240, 760, 640)),
            Node(IMAGE, r(800, 240, 1040, 560), "post_cover", desc=f"Cover, {kind}",
                 color="teal"),
            Node(TEXT, r(40, 660, 300, 740), "post_hashtag_button", text="# Hashtags",
                 on_tap=lambda: append("#")),
            Node(TEXT, r(320, 660, 580, 740), "post_mention_button", text="@ Mention",
                 on_tap=lambda: append("@")),
            Node(TEXT, r(40, 800, 1040, 900), "post_privacy", text="Everyone can view this post"),
            Node(BUTTON, r(20, 2260, 520, 2370), "drafts_button", text="Drafts", color="light",
                 on_tap=lambda: self._drafts(app)),
            Node(BUTTON, r(560, 2260, 1060, 2370), "post_button", text="Post", color="red",
                 on_tap=lambda: self._post(app)))
