"""The video player screens: the home "For You" feed and a single video (deep link, search
result, profile grid), with the right-hand action rail, the comment panel and the share sheet.

Built afresh per look by `App.window()` under `AndroidUi`'s lock.
"""

from __future__ import annotations

from .base import (BUTTON, FRAME, IMAGE, LINEAR, PAGER, RECYCLER, TEXT, Screen, TextField,
                   edit_node, nav_bar)
from .render import BLOCK, Node
from .search import SearchScreen
from .state import compact

_COLOURS = ["purple", "brown", "teal", "orange", "pink", "blue", "green"]


class FeedScreen(Screen):
    """Full-screen videos; swipe up for the next one. `home` adds the top tabs and the tab bar."""

    def __init__(self, home: bool, ids: list[str] | None = None, pos: int = 0):
        self.home = home
        self.ids = ids or []
        self.pos = pos
        self.panel: str | None = None  # None, "comments" or "share"
        self.comment = TextField("Add comment...", multiline=True)
        if not home:
            self.activity = "com.ss.android.ugc.aweme.detail.ui.DetailActivity"

    def current(self, app) -> str:
        while self.home and len(self.ids) <= self.pos:
            self.ids.append(app.rng.choice(sorted(app.world.videos)))
        return self.ids[self.pos]

    def video_id(self, app) -> str | None:
        return self.current(app) if self.ids or self.home else None

    def on_swipe(self, app, dx: int, dy: int) -> None:
        if self.panel:
            if dy > 300:
                self._close(app)
            return
        if abs(dy) < 150 or abs(dy) < abs(dx):
            return
        if dy < 0 and (self.home or self.pos + 1 < len(self.ids)):
            self.pos += 1
        elif dy > 0 and self.pos > 0:
            self.pos -= 1
        else:
            return
        self.comment.value = ""  # a draft belongs to the video it was typed under
        app.maybe_popup("swipe")

    def on_back(self, app) -> bool:
        if self.panel:
            self._close(app)
            return True
        return False

    def _close(self, app) -> None:
        self.panel = None
        app.focus = None

    def _search(self, app) -> None:
        app.push(SearchScreen())

    def _open_comments(self, app) -> None:
        self.panel = "comments"

    def _post_comment(self, app, video_id: str) -> None:
        app.comment(video_id, self.comment.value)
        self.comment.value = ""
        app.focus = None

    def build(self, app) -> Node:
        r = app.r
        vid = self.current(app)
        video = app.world.video(vid)
        author = video.author
        account = app.account
        root = Node(FRAME, r(0, 0, 1080, 2400), "feed_root")
        pager = Node(PAGER, r(0, 0, 1080, 2220 if self.home else 2400), "viewpager",
                     scrollable=True)
        page = Node(FRAME, pager.bounds, "feed_video", desc=f"Video by @{author}",
                    color=_COLOURS[int(vid) % len(_COLOURS)] if vid.isdigit() else "purple")
        pager.add(page)
        rail = Node(LINEAR, r(930, 1100, 1070, 2110), "action_rail")
        rail.add(Node(IMAGE, r(945, 1100, 1055, 1210), "author_avatar",
                      desc=f"@{author} profile", color="grey",
                      on_tap=lambda: app.open_user(author)))
        if author not in account.following and author != app.current:
            rail.add(Node(IMAGE, r(970, 1190, 1030, 1250), "follow_button", desc=f"Follow @{author}",
                          color="red", on_tap=lambda: app.set_follow(author, True, "feed")))
        liked, collected = vid in account.liked, vid in account.collected
        rail.add(
            Node(IMAGE, r(940, 1300, 1060, 1420), "like_button",
                 desc=("Unlike" if liked else "Like") + f" video. {compact(video.likes)} likes",
                 selected=liked, color="red" if liked else "white",
                 on_tap=lambda: app.toggle("like", vid)),
            Node(TEXT, r(930, 1430, 1070, 1480), "like_count", text=compact(video.likes)),
            Node(IMAGE, r(940, 1510, 1060, 1630), "comment_button",
                 desc=f"Read or add comments. {compact(video.comments)} comments", color="white",
                 on_tap=lambda: self._open_comments(app)),
            Node(TEXT, r(930, 1640, 1070, 1690), "comment_count", text=compact(video.comments)),
            Node(IMAGE, r(940, 1720, 1060, 1840), "collect_button",
                 desc=("Remove from Favorites" if collected else "Add to Favorites"),
                 selected=collected, color="yellow" if collected else "white",
                 on_tap=lambda: app.toggle("collect", vid)),
            Node(TEXT, r(930, 1850, 1070, 1900), "collect_count", text=compact(video.collects)),
            Node(IMAGE, r(940, 1930, 1060, 2050), "share_button", desc="Share video",
                 color="white", on_tap=lambda: setattr(self, "panel", "share")),
            Node(TEXT, r(930, 2060, 1070, 2110), "share_count", text=compact(video.shares)),
        )
        page.add(rail,
                 Node(TEXT, r(40, 1860, 800, 1930), "author_name", text=f"@{author}",
                      on_tap=lambda: app.open_user(author)),
                 Node(TEXT, r(40, 1940, 900, 2150), "video_desc", text=video.desc))
        root.add(pager)
        if self.home:
            root.add(Node(TEXT, r(280, 110, 520, 200), "tab_following", text="Following"),
                     Node(TEXT, r(560, 110, 800, 200), "tab_foryou", text="For You", selected=True),
                     Node(IMAGE, r(960, 110, 1060, 210), "feed_search", desc="Search",
                          on_tap=lambda: self._search(app)))
            progress = app.upload_progress()
            if progress:
                state, pct = progress
                text = f"Uploading {pct}%" if state == "uploading" else "Your post is published"
                root.add(Node(TEXT, r(40, 220, 700, 300), "upload_progress", text=text,
                              color="grey"))
            root.add(nav_bar(app, "nav_home"))
        else:
            root.add(Node(IMAGE, r(20, 100, 130, 210), "video_back", desc="Back",
                          on_tap=lambda: app.pop()))
        if self.panel == "comments":
            root.add(self._comments(app, vid, video))
        elif self.panel == "share":
            sheet = Node(FRAME, r(0, 1800, 1080, 2400), "share_panel", color="white", on_tap=BLOCK)
            sheet.add(Node(TEXT, r(40, 1850, 520, 1950), "share_copy_link", text="Copy link",
                           on_tap=lambda: self._close(app)),
                      Node(BUTTON, r(40, 2250, 1040, 2370), "share_cancel", text="Cancel",
                           on_tap=lambda: self._close(app)))
            root.add(sheet)
        return root

    def _comments(self, app, vid, video) -> Node:
        r = app.r
        # Tapping the video above the panel closes it, as in the real app.
        outside = Node(FRAME, r(0, 0, 1080, 800), on_tap=lambda: self._close(app))
        sheet = Node(FRAME, r(0, 800, 1080, 2400), "comment_panel", color="white", on_tap=BLOCK)
        sheet.add(Node(TEXT, r(300, 820, 780, 900), "comment_title",
                       text=f"{compact(video.comments)} comments"),
                  Node(IMAGE, r(980, 820, 1060, 900), "comment_close", desc="Close",
                       on_tap=lambda: self._close(app)))
        listing = Node(RECYCLER, r(0, 920, 1080, 2230), "comment_list", scrollable=True)
        for i, (who, text) in enumerate(app.world.comments(video)[:8]):
            y = 920 + i * 160
            listing.add(Node(LINEAR, r(0, y, 1080, y + 160), "comment_item").add(
                Node(TEXT, r(140, y + 10, 1040, y + 60), "comment_author", text=who),
                Node(TEXT, r(140, y + 60, 1040, y + 150), "comment_text", text=text)))
        sheet.add(listing, edit_node(app, self.comment, "comment_input", (40, 2250, 860, 2370)))
        has_text = bool(self.comment.value)
        sheet.add(Node(BUTTON, r(880, 2250, 1040, 2370), "comment_post", text="Post",
                       desc="Post comment", enabled=has_text, color="red" if has_text else "grey",
                       on_tap=(lambda: self._post_comment(app, vid)) if has_text else BLOCK))
        return Node(FRAME, r(0, 0, 1080, 2400)).add(outside, sheet)
