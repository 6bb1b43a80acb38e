"""Profile screens: another user's profile (Follow -> Following/Friends + Message, an Unfollow
sheet, video grid) and the logged-in account's own profile, whose top-centre header opens the
account switcher sheet (the body @handle only copies it).

Built afresh per look by `App.window()` under `AndroidUi`'s lock.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from . import ids
from .base import BUTTON, FRAME, IMAGE, LINEAR, RECYCLER, TEXT, Screen, back_button, nav_bar, tab_node
from .render import BLOCK, Node
from .system import LoginScreen


def _counts(app, following: int, followers: int, likes: int, username: str | None = None
            ) -> list[Node]:
    """The three counters; with `username`, Following/Followers open that user's lists."""
    from .social import FollowListScreen  # social imports base, which imports this module

    r, k = app.r, app.k
    out = []
    for i, (label, n) in enumerate((("Following", following), ("Followers", followers),
                                    ("Likes", likes))):
        x = 90 + i * 300
        kind = {"Following": "following", "Followers": "followers"}.get(label)
        tap = (lambda kind=kind: app.push(FollowListScreen(username, kind))) \
            if username and kind else None
        out.append(Node(TEXT, r(x, 560, x + 300, 620), k("profile_count"), text=app.n(n),
                        on_tap=tap))
        out.append(Node(TEXT, r(x, 620, x + 300, 680), k("profile_count_label"),
                        text=app.t(label), on_tap=tap))
    return out


def _grid(app, tiles: list[tuple[str, Callable[[], None] | None]]) -> Node:
    """A 3-column grid of `cover` tiles (text under each, tap action) below the header."""
    r = app.r
    grid = Node(RECYCLER, r(0, 1000, 1080, 2220), app.k("profile_grid"), scrollable=True)
    for i, (caption, action) in enumerate(tiles[:6]):
        x, y = (i % 3) * 360, 1000 + (i // 3) * 480
        grid.add(Node(FRAME, r(x + 4, y + 4, x + 356, y + 476), ids.COVER, color="brown",
                      on_tap=action or (lambda: None)).add(
            Node(TEXT, r(x + 20, y + 400, x + 340, y + 460), text=caption)))
    return grid


def _head(app, name: str, handle: str, on_handle=None) -> list[Node]:
    r, k = app.r, app.k
    return [Node(IMAGE, r(440, 220, 640, 370), k("profile_avatar"), color="grey"),
            Node(TEXT, r(300, 380, 780, 450), k("profile_name"), text=name),
            Node(TEXT, r(300, 460, 780, 520), k("profile_handle"), text=f"@{handle}",
                 on_tap=on_handle)]


class ProfileScreen(Screen):
    activity = "com.ss.android.ugc.aweme.profile.ui.UserProfileActivity"

    def __init__(self, username: str):
        self.username = username
        self.confirm = False  # the Unfollow sheet is up

    def on_back(self, app) -> bool:
        if self.confirm:
            self.confirm = False
            return True
        return False

    def _action(self, app) -> None:
        if self.username in app.account.following:
            self.confirm = True
        else:
            app.set_follow(self.username, True, "profile")

    def _message(self, app) -> None:
        from .social import ChatScreen
        app.push(ChatScreen(self.username))

    def _unfollow(self, app) -> None:
        self.confirm = False
        app.set_follow(self.username, False, "profile")

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        user = app.world.user(self.username)
        following = self.username in app.account.following
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        root.add(back_button(app),
                 Node(TEXT, r(300, 100, 780, 210), k("profile_header_name"), text=user.nickname),
                 *_head(app, user.nickname, user.username),
                 *_counts(app, user.following, user.followers + following, user.likes,
                          user.username))
        if following:
            label = "Friends" if app.world.follows_back(self.username) else "Following (button)"
            root.add(Node(BUTTON, r(140, 720, 530, 840), k("profile_action"), text=t(label),
                          color="light", on_tap=lambda: self._action(app)),
                     Node(BUTTON, r(550, 720, 940, 840), k("profile_action"), text=t("Message"),
                          color="light", on_tap=lambda: self._message(app)))
        else:
            root.add(Node(BUTTON, r(140, 720, 530, 840), k("profile_action"), text=t("Follow"),
                          color="red", on_tap=lambda: self._action(app)),
                     Node(BUTTON, r(550, 720, 940, 840), k("profile_message"), text=t("Message"),
                          color="light", on_tap=lambda: self._message(app)))
        root.add(_grid(app, [(app.n(app.world.video(vid).likes),
                              partial(app.open_videos, user.videos, i))
                             for i, vid in enumerate(user.videos)]))
        if self.confirm:
            scrim = Node(FRAME, r(0, 0, 1080, 2400), on_tap=lambda: setattr(self, "confirm", False))
            sheet = Node(FRAME, r(0, 1900, 1080, 2400), k("unfollow_sheet"), color="light",
                         on_tap=BLOCK)
            sheet.add(Node(BUTTON, r(40, 1960, 1040, 2080), k("unfollow_confirm"),
                           text=t("Unfollow"), color="red", on_tap=lambda: self._unfollow(app)),
                      Node(BUTTON, r(40, 2120, 1040, 2240), k("unfollow_cancel"), text=t("Cancel"),
                           on_tap=lambda: setattr(self, "confirm", False)))
            root.add(scrim.add(sheet))
        return root


class OwnProfileScreen(Screen):
    activity = "com.ss.android.ugc.aweme.main.MainActivity"

    def __init__(self):
        self.switcher = False

    def on_back(self, app) -> bool:
        if self.switcher:
            self.switcher = False
            return True
        return False

    def on_swipe(self, app, dx: int, dy: int) -> None:
        if self.switcher and dy > 300:
            self.switcher = False

    def _switch(self, app, name: str) -> None:
        self.switcher = False
        app.switch_account(name)

    def _add_account(self, app) -> None:
        self.switcher = False
        app.push(LoginScreen(adding=True))

    def _edit(self, app) -> None:
        from .social import EditProfileScreen
        app.push(EditProfileScreen())

    def _copy(self, app) -> None:
        app.records.add("copy_handle", account=app.current, text=f"@{app.current}")

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        account = app.account
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        header = Node(LINEAR, r(300, 100, 780, 210), k("profile_header"),
                      on_tap=lambda: setattr(self, "switcher", True))
        header.add(Node(TEXT, r(320, 110, 700, 200), k("profile_header_name"),
                        text=account.username),
                   Node(IMAGE, r(710, 130, 760, 180), k("profile_dropdown")))
        root.add(header,
                 Node(IMAGE, r(960, 110, 1060, 200), k("profile_menu"), desc=t("Profile menu"),
                      on_tap=lambda: None),
                 *_head(app, app.profile_of(account.username)["name"], account.username,
                        lambda: self._copy(app)),
                 *_counts(app, len(account.following), 0, len(account.liked)),
                 Node(BUTTON, r(240, 720, 840, 840), k("profile_edit"), text=t("Edit profile"),
                      color="light", on_tap=lambda: self._edit(app)))
        bio = app.profile_of(account.username)["bio"]
        if bio:
            root.add(Node(TEXT, r(140, 850, 940, 875), k("profile_bio"), text=bio))
        for i, label in enumerate(("Videos", "Reposted videos", "Liked videos")):
            root.add(tab_node(app, (i * 360, 880, (i + 1) * 360, 980), "profile_tab", t(label),
                              i == 0))
        root.add(_grid(app, [("0" if post["status"] == "posted" else "", None)
                             for post in account.posts]))
        root.add(nav_bar(app, "nav_profile"))
        if self.switcher:
            root.add(self._sheet(app))
        return root

    def _sheet(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        names = list(app.accounts)
        h = min(140, 800 // max(1, len(names) + 1))
        outside = Node(FRAME, r(0, 0, 1080, 1300), on_tap=lambda: setattr(self, "switcher", False))
        sheet = Node(FRAME, r(0, 1300, 1080, 2400), k("switcher_sheet"), color="light",
                     on_tap=BLOCK)
        sheet.add(Node(TEXT, r(300, 1320, 780, 1400), k("switcher_title"),
                       text=t("Switch account")))
        for i, name in enumerate(names):
            y = 1440 + i * h
            sheet.add(Node(LINEAR, r(0, y, 1080, y + h), k("switcher_row"),
                           selected=name == app.current,
                           on_tap=partial(self._switch, app, name)).add(
                Node(IMAGE, r(40, y + 10, 40 + h - 20, y + h - 10), color="grey"),
                Node(TEXT, r(180, y, 900, y + h), k("switcher_name"), text=name)))
        y = 1440 + len(names) * h
        sheet.add(Node(LINEAR, r(0, y, 1080, y + h), k("switcher_add"),
                       on_tap=lambda: self._add_account(app)).add(
            Node(TEXT, r(180, y, 900, y + h), text=t("Add account"))))
        return Node(FRAME, r(0, 0, 1080, 2400)).add(outside, sheet)
