"""The search screen: a focused search box (ENTER, the IME action or `Search` submits), result
tabs Top/Users/Videos/Sounds/LIVE/Hashtags, user rows with @handle and Follow, video tiles.

Built afresh per look by `App.window()` under `AndroidUi`'s lock.
"""

from __future__ import annotations

from functools import partial

from . import ids
from .base import BUTTON, FRAME, IMAGE, LINEAR, RECYCLER, TEXT, Screen, TextField, back_button, edit_node
from .render import Node
from .sound import sound_rows

TABS = ("Top", "Users", "Videos", "Sounds", "LIVE", "Hashtags")


class SearchScreen(Screen):
    activity = "com.ss.android.ugc.aweme.search.activity.SearchResultActivity"

    def __init__(self):
        self.query = TextField("Search", on_submit=self._submit)
        self.initial_focus = self.query
        self.searched: str | None = None
        self.tab = "Top"

    def _submit(self) -> None:
        self.searched = self.query.value
        self.tab = "Top"

    def _submit_and_hide(self, app) -> None:
        """The Search button: search, and the keyboard closes."""
        self._submit()
        app.hide_keyboard()

    def _clear(self, app) -> None:
        self.query.value = ""
        app.focus = self.query

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        root.add(back_button(app),
                 edit_node(app, self.query, "search_input", (140, 100, 840, 210)))
        if self.query.value:
            root.add(Node(IMAGE, r(760, 120, 830, 190), k("search_clear"),
                          desc=t("Clear search field"), on_tap=lambda: self._clear(app)))
        root.add(Node(TEXT, r(860, 100, 1060, 210), k("search_submit"), text=t("Search"),
                      on_tap=partial(self._submit_and_hide, app)))
        if self.searched is None:
            return root
        for i, tab in enumerate(TABS):
            x = i * 180
            root.add(Node(TEXT, r(x, 240, x + 180, 340), k("search_tab"), text=t(tab),
                          selected=self.tab == tab, on_tap=partial(setattr, self, "tab", tab)))
        listing = Node(RECYCLER, r(0, 360, 1080, 2400), k("search_results"), scrollable=True)
        if self.tab == "Sounds":  # rows of sounds; a row opens the sound's page
            return root.add(sound_rows(app, listing, self.searched))
        users = app.world.search_users(self.searched) if self.tab in ("Top", "Users") else []
        videos = app.world.search_videos(self.searched) if self.tab in ("Top", "Videos") else []
        users = users[:3] if self.tab == "Top" else users[:10]
        y = 360
        for user in users:
            listing.add(self._user_row(app, user, y))
            y += 200
        video_ids = [v.id for v in videos]
        for i, video in enumerate(videos[:6 if self.tab == "Videos" else 2 * ((2340 - y) // 600)]):
            x, ty = (i % 2) * 540, y + (i // 2) * 600
            tile = Node(FRAME, r(x + 5, ty + 5, x + 535, ty + 595), k("search_video_tile"),
                        color="purple", on_tap=partial(app.open_videos, video_ids, i))
            tile.add(Node(TEXT, r(x + 20, ty + 440, x + 520, ty + 520), ids.DESC, text=video.desc),
                     Node(TEXT, r(x + 20, ty + 520, x + 520, ty + 580), k("search_video_author"),
                          text=app.world.user(video.author).nickname))
            listing.add(tile)
        if not listing.children:
            listing.add(Node(TEXT, r(40, 400, 1040, 500), k("search_empty"),
                             text=t("No results found")))
        return root.add(listing)

    def _user_row(self, app, user, y: int) -> Node:
        r, k, t = app.r, app.k, app.t
        followed = user.username in app.account.following
        row = Node(LINEAR, r(0, y, 1080, y + 200), k("search_user_row"),
                   on_tap=partial(app.open_user, user.username))
        return row.add(
            Node(IMAGE, r(40, y + 30, 180, y + 170), color="grey"),
            Node(TEXT, r(220, y + 30, 760, y + 100), k("search_user_name"), text=user.nickname),
            Node(TEXT, r(220, y + 100, 760, y + 170), k("search_user_handle"),
                 text=f"@{user.username}"),
            Node(BUTTON, r(800, y + 50, 1040, y + 150), k("search_user_follow"),
                 text=t("Following (button)" if followed else "Follow"),
                 color="light" if followed else "red",
                 on_tap=partial(app.set_follow, user.username, True, "search")))
