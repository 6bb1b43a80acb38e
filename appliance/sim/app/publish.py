"""The caption screen (VideoPublishActivity): the caption and title fields, chips, "Add link"
(a sheet: "Products", "Add"), Drafts and Post; the keyboard that covers its lower half while a
field has focus; the seeded "Publish video publicly?" sheet. Publishing returns to the home
feed, whose badge shows the upload; the record keeps the editor's entry path, sound, volumes.

Built afresh per look by `App.window()` under `AndroidUi`'s lock.
"""

from __future__ import annotations

from .base import BUTTON, FRAME, IMAGE, TEXT, Screen, TextField, back_button, edit_node
from .render import BLOCK, Node
from .state import Media

PLACEHOLDER = "Writing a long description can help get 3x more views on average."


class CaptionScreen(Screen):
    activity = "com.ss.android.ugc.aweme.shortvideo.publish.VideoPublishActivity"
    keyboard_covers = True

    def __init__(self, media: list[Media], editor=None):
        self.media = media
        self.editor = editor  # the EditorScreen: entry path, sound, volumes
        self.product_link = False
        self.link_sheet = False  # "Add link" sheet is up
        self.caption = TextField(PLACEHOLDER, multiline=True)
        self.title = TextField("Add a catchy title")
        self.sheet = False  # "Publish video publicly?" is up

    def on_back(self, app) -> bool:
        if self.sheet or self.link_sheet:
            self.sheet = self.link_sheet = False
            return True
        return False

    def details(self) -> dict:
        extra = self.editor.details() if self.editor is not None else {"via": "addButton"}
        return {**extra, "title": self.title.value, "product_link": self.product_link,
                "placement": "post"}

    def _add_product(self) -> None:
        self.product_link, self.link_sheet = True, False

    def _post(self, app) -> None:
        if app.rng.random() < app.publish_sheet_rate:
            self.sheet = True
            app.focus = None
        else:
            self._publish(app)

    def _publish(self, app) -> None:
        app.publish(self.media, self.caption.value, **self.details())
        app.reset_to(app.feed())

    def _drafts(self, app) -> None:
        app.records.add("draft", account=app.current, caption=self.caption.value,
                        media=[m.name for m in self.media], **self.details())
        app.reset_to(app.feed())

    def _append(self, app, text: str) -> None:
        self.caption.value += text
        app.focus = self.caption

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        root.add(back_button(app),
                 edit_node(app, self.caption, "caption", (40, 220, 760, 620)),
                 edit_node(app, self.title, "caption_title", (40, 640, 760, 720)),
                 Node(IMAGE, r(800, 240, 1040, 560), k("caption_cover"), color="teal",
                      on_tap=lambda: None),
                 Node(TEXT, r(800, 240, 1040, 560), text=t("Cover")))
        chips = (("# Hashtags", lambda: self._append(app, "#")),
                 ("Mention", lambda: self._append(app, "@")),
                 ("AI rewrite", lambda: None))
        for i, (label, action) in enumerate(chips):
            x = 40 + i * 260
            root.add(Node(TEXT, r(x, 760, x + 240, 840), k("caption_chip"), text=t(label),
                          on_tap=action))
        root.add(Node(TEXT, r(40, 900, 1040, 990), k("caption_chip"), text=t("Location"),
                      on_tap=lambda: None),
                 Node(TEXT, r(40, 1230, 1040, 1320),
                      text=t("Product added") if self.product_link else t("Add link"),
                      on_tap=lambda: setattr(self, "link_sheet", True)),
                 Node(BUTTON, r(40, 1010, 1040, 1100), k("caption_privacy"),
                      desc=t("Everyone can view this post"), on_tap=lambda: None),
                 Node(TEXT, r(40, 1120, 1040, 1210), k("caption_more"), text=t("More options"),
                      desc=t("More options, Privacy and more settings have been moved here."),
                      on_tap=lambda: None),
                 Node(BUTTON, r(40, 2250, 520, 2370), k("post_drafts"), text=t("Drafts"),
                      color="light", on_tap=lambda: self._drafts(app)),
                 Node(BUTTON, r(560, 2250, 1040, 2370), k("post_publish"), text=t("Post"),
                      color="red", on_tap=lambda: self._post(app)))
        if self.sheet:
            scrim = Node(FRAME, r(0, 0, 1080, 2400), on_tap=lambda: setattr(self, "sheet", False))
            sheet = Node(FRAME, r(0, 1700, 1080, 2400), k("publish_sheet"), color="light",
                         on_tap=BLOCK)
            sheet.add(Node(TEXT, r(60, 1740, 1020, 1840), k("publish_title"),
                           text=t("Publish video publicly?")),
                      Node(BUTTON, r(60, 2000, 1020, 2120), k("publish_now"),
                           text=t("Publish now"), color="red", on_tap=lambda: self._publish(app)),
                      Node(BUTTON, r(60, 2150, 1020, 2270), k("publish_cancel"), text=t("Cancel"),
                           on_tap=lambda: setattr(self, "sheet", False)))
            root.add(scrim.add(sheet))
        if self.link_sheet:
            scrim = Node(FRAME, r(0, 0, 1080, 2400),
                         on_tap=lambda: setattr(self, "link_sheet", False))
            sheet = Node(FRAME, r(0, 1500, 1080, 2400), color="light", on_tap=BLOCK)
            sheet.add(Node(TEXT, r(60, 1540, 1020, 1640), text=t("Products")),
                      Node(TEXT, r(60, 1700, 1020, 1800), text=t("Add"), clickable=True,
                           on_tap=self._add_product))
            root.add(scrim.add(sheet))
        return root
