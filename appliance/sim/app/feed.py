"""The video player screens: the home "For You" feed (top tabs, ads, LIVE items, upload badge,
nav bar) and a single video (deep link, search result, profile grid), with the right-hand rail.
A tap on the video pauses it; the comment sheet (comments.py) opens over it.

Built afresh per look by `App.window()` under `AndroidUi`'s lock.
"""

from __future__ import annotations

from . import ids
from .base import BUTTON, FRAME, IMAGE, TEXT, VIEW, Screen, TextField, back_button, nav_bar, tab_node
from .comments import comment_sheet
from .render import Node
from .search import SearchScreen
from .state import nickname

_COLOURS = ["purple", "brown", "teal", "orange", "pink", "blue", "green"]


class FeedScreen(Screen):
    """Full-screen videos; swipe up for the next one. `home` adds the top tabs and the tab bar."""

    def __init__(self, home: bool, ids_: list[str] | None = None, pos: int = 0):
        self.home = home
        self.ids = ids_ or []
        self.pos = pos
        self.sheet = False  # the comment sheet is open
        self.paused = False
        self.comment = TextField("Add comment...", multiline=True)
        if not home:
            self.activity = "com.ss.android.ugc.aweme.detail.ui.DetailActivity"

    def current(self, app) -> str:
        while self.home and len(self.ids) <= self.pos:
            self.ids.append(app.next_feed_video())
        return self.ids[self.pos]

    def video_id(self, app) -> str | None:
        return self.current(app) if self.ids or self.home else None

    def playing(self, app) -> bool:
        return self.video_id(app) is not None and not self.sheet and not self.paused

    def on_swipe(self, app, dx: int, dy: int) -> None:
        if self.sheet:
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
        self.paused = False  # another video plays
        self.comment.value = ""  # a draft belongs to the video it was typed under
        app.maybe_popup("swipe")

    def on_back(self, app) -> bool:
        if self.sheet:
            self._close(app)
            return True
        return False

    def _close(self, app) -> None:
        self.sheet = False
        app.focus = None

    def _toggle_pause(self, app, vid: str) -> None:
        self.paused = not self.paused
        app.records.add("pause" if self.paused else "play", account=app.current, video_id=vid)

    def _send(self, app, vid: str) -> None:
        app.comment(vid, self.comment.value)
        self.comment.value = ""
        app.focus = None

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        vid = self.current(app)
        video = app.world.video(vid)
        name = nickname(video.author)
        bottom = 2220 if self.home else 2400
        root = Node(FRAME, r(0, 0, 1080, 2400), ids.ROOTVIEW)
        live = video.kind == "live"
        page = Node(VIEW, r(0, 0, 1080, bottom), ids.LONG_PRESS,
                    desc="LIVE" if live else t("Video"), long_clickable=True,
                    color=_COLOURS[int(vid) % len(_COLOURS)] if vid.isdigit() else "purple",
                    on_tap=lambda: self._toggle_pause(app, vid))
        page.add(Node(FRAME, r(0, 0, 1080, bottom), ids.PLAYER))
        if self.paused:
            page.add(Node(IMAGE, r(440, 1000, 640, 1200), k("play_icon"), color="white"))
        root.add(page, Node(FRAME, r(40, 1800, 600, 2210), k("ad_slot")))
        root.add(*self._rail(app, vid, video, name, live))
        root.add(Node(BUTTON, r(40, 1860, 800, 1930), ids.TITLE, text=name,
                      on_tap=lambda: app.open_user(video.author)),
                 Node(TEXT, r(40, 1940, 900, 2150), ids.DESC, text=video.desc))
        if video.kind == "ad":
            root.add(Node(TEXT, r(40, 1800, 120, 1850), k("ad_label"), text=t("Ad")),
                     Node(BUTTON, r(40, 2160, 600, 2210), k("ad_cta"), text=t("Learn more"),
                          color="blue", on_tap=lambda: None))
        if live:
            root.add(Node(TEXT, r(40, 220, 200, 290), k("live_badge"), text="LIVE", color="red"))
        if self.home:
            for i, label in enumerate(("For You", "Following", "Explore", "LIVE")):
                x = 120 + i * 200
                root.add(tab_node(app, (x, 100, x + 190, 200), "top_tab", t(label), i == 0))
            root.add(Node(IMAGE, r(960, 110, 1060, 210), k("feed_search"), desc=t("Search"),
                          on_tap=lambda: app.push(SearchScreen())))
            pct = app.upload_percent()
            if pct is not None:
                root.add(Node(TEXT, r(40, 220, 200, 300), k("upload_badge"), text=f"{pct}%",
                              color="grey"))
            root.add(nav_bar(app, "nav_home"))
        else:
            root.add(back_button(app))
        if self.sheet:
            root.add(comment_sheet(app, self, vid, video))
        return root

    def _rail(self, app, vid, video, name, live) -> list[Node]:
        r, k, t, n = app.r, app.k, app.t, app.n
        account = app.account
        out = [Node(IMAGE, r(945, 1100, 1055, 1210), k("avatar"), desc=t("{name} profile", name=name),
                    color="grey", on_tap=lambda: app.open_user(video.author))]
        if video.author not in account.following and video.author != app.current:
            out.append(Node(BUTTON, r(970, 1190, 1030, 1250), k("follow_plus"),
                            desc=t("Follow {name}", name=name), color="red",
                            on_tap=lambda: app.set_follow(video.author, True, "feed")))
        if live:
            return out
        liked, faved = vid in account.liked, vid in account.collected
        like = Node(BUTTON, r(940, 1300, 1060, 1480), k("engage"),
                    desc=t("Like video. {n} likes", n=n(video.likes)), selected=liked,
                    on_tap=lambda: app.toggle("like", vid))
        like.add(Node(IMAGE, r(950, 1300, 1050, 1410), k("like_icon"), desc=t("Like"),
                      selected=liked, color="red" if liked else "white"),
                 Node(TEXT, r(940, 1420, 1060, 1480), k("like_count"), text=n(video.likes)))
        comment = Node(BUTTON, r(940, 1510, 1060, 1690), k("comment_button"),
                       desc=t("Read or add comments. {n} comments", n=n(video.comments)),
                       on_tap=lambda: setattr(self, "sheet", True))
        comment.add(Node(IMAGE, r(950, 1510, 1050, 1620), color="white"),
                    Node(TEXT, r(940, 1630, 1060, 1690), k("comment_count"),
                         text=n(video.comments)))
        fav = Node(BUTTON, r(940, 1720, 1060, 1900), k("favourite_button"),
                   desc=t("Add or remove this video from Favorites."), selected=faved,
                   on_tap=lambda: app.toggle("collect", vid))
        fav.add(Node(IMAGE, r(950, 1720, 1050, 1830), color="yellow" if faved else "white"),
                Node(TEXT, r(940, 1840, 1060, 1900), k("favourite_count"),
                     text=n(video.collects)))
        share = Node(BUTTON, r(940, 1930, 1060, 2110), k("engage"),
                     desc=t("Share video. {n} shares", n=n(video.shares)), on_tap=lambda: None)
        share.add(Node(IMAGE, r(950, 1930, 1050, 2040), k("share_icon"), color="white"),
                  Node(TEXT, r(940, 2050, 1060, 2110), k("share_count"), text=n(video.shares)))
        sound = Node(BUTTON, r(950, 2120, 1050, 2210), k("sound_button"),
                     desc=t("Sound: original sound - {a} by {b}", a=name, b=name),
                     color="grey", on_tap=lambda: None)
        return [*out, like, comment, fav, share, sound]
