"""The search screen: a focused search box, a Search button (or ENTER), and results in two tabs,
Users and Videos; a user opens their profile, a video opens the player.

Built afresh per look by `App.window()` under `AndroidUi`'s lock.
"""

from __future__ import annotations

from .base import FRAME, IMAGE, LINEAR, RECYCLER, TABS, TEXT, Screen, TextField, edit_node
from .render import Node
from .state import compact


class SearchScreen(Screen):
    activity = "com.ss.android.ugc.aweme.search.activity.SearchResultActivity"

    def __init__(self):
        self.query = TextField("Search accounts and videos", on_submit=self._submit)
        self.initial_focus = self.query
        self.searched: str | None = None
        self.tab = "users"

    def _submit(self) -> None:
        self.searched = self.query.value
        self.tab = "users"

    def build(self, app) -> Node:
        r = app.r
        root = Node(FRAME, r(0, 0, 1080, 2400), "search_root", color="white")
        root.add(Node(IMAGE, r(20, 100, 120, 220), "search_back", desc="Back", on_tap=app.pop),
                 edit_node(app, self.query, "search_input", (140, 100, 840, 220)),
                 Node(TEXT, r(860, 100, 1060, 220), "search_button", text="Search",
                      on_tap=lambda: (self._submit(), app.hide_keyboard())))
        if self.searched is None:
            return root
        tabs = Node(TABS, r(0, 240, 1080, 340), "search_tabs")
        for key, label in (("users", "Users"), ("videos", "Videos")):
            x = 0 if key == "users" else 540
            tabs.add(Node(TEXT, r(x, 240, x + 540, 340), f"search_tab_{key}", text=label,
                          selected=self.tab == key,
                          on_tap=lambda key=key: setattr(self, "tab", key)))
        root.add(tabs)
        listing = Node(RECYCLER, r(0, 360, 1080, 2400), "search_results", scrollable=True)
        if self.tab == "users":
            for i, user in enumerate(app.world.search_users(self.searched)[:10]):
                y = 360 + i * 200
                item = Node(LINEAR, r(0, y, 1080, y + 200), "search_user_item",
                            desc=f"@{user.username}",
                            on_tap=lambda u=user.username: app.open_user(u))
                item.add(Node(IMAGE, r(40, y + 30, 180, y + 170), "search_user_avatar",
                              color="grey"),
                         Node(TEXT, r(220, y + 30, 1040, y + 100), "search_user_name",
                              text=user.username),
                         Node(TEXT, r(220, y + 100, 1040, y + 170), "search_user_info",
                              text=f"{user.nickname} · {compact(user.followers)} followers"))
                listing.add(item)
        else:
            found = app.world.search_videos(self.searched)
            ids = [v.id for v in found]
            for i, video in enumerate(found):
                y = 360 + i * 200
                item = Node(FRAME, r(0, y, 1080, y + 200), "search_video_item",
                            desc=f"Video by @{video.author}: {video.desc}",
                            on_tap=lambda i=i: app.open_videos(ids, i))
                item.add(Node(IMAGE, r(40, y + 20, 180, y + 180), "search_video_cover",
                              color="purple"),
                         Node(TEXT, r(220, y + 30, 1040, y + 100), "search_video_desc",
                              text=video.desc),
                         Node(TEXT, r(220, y + 100, 1040, y + 170), "search_video_author",
                              text=f"@{video.author}"))
                listing.add(item)
        if not listing.children:
            listing.add(Node(TEXT, r(40, 400, 1040, 500), "search_empty", text="No results found"))
        return root.add(listing)
