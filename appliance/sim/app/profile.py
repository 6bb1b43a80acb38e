"""Profile screens: another user's profile (Follow/Following with an unfollow confirmation, video
grid) and the logged-in account's own profile with its posts and the account switcher.

Built afresh per look by `App.window()` under `AndroidUi`'s lock.
"""

from __future__ import annotations

from .base import BUTTON, FRAME, IMAGE, LINEAR, RECYCLER, TEXT, Screen, nav_bar
from .render import BLOCK, Node
from .state import compact
from .system import LoginScreen


def _counts(app, prefix: str, following: int, followers: int, likes: int) -> list[Node]:
    r = app.r
    out = []
    for i, (key, label, n) in enumerate((("following", "Following", following),
                                        ("followers", "Followers", followers),
                                        ("likes", "Likes", likes))):
        x = 90 + i * 300
        out.append(Node(TEXT, r(x, 580, x + 300, 640), f"{prefix}_{key}_count", text=compact(n)))
        out.append(Node(TEXT, r(x, 640, x + 300, 700), f"{prefix}_{key}_label", text=label))
    return out


def _grid(app, rid: str, items: list[tuple[str, str, object]]) -> Node:
    """A 3-column grid of (desc, caption text, tap action) tiles starting below the header."""
    r = app.r
    grid = Node(RECYCLER, r(0, 900, 1080, 2220), f"{rid}_grid", scrollable=True)
    for i, (desc, caption, action) in enumerate(items[:6]):
        x, y = (i % 3) * 360, 900 + (i // 3) * 480
        grid.add(Node(FRAME, r(x + 4, y + 4, x + 356, y + 476), rid, desc=desc, color="brown",
                      on_tap=action).add(
            Node(TEXT, r(x + 20, y + 400, x + 340, y + 460), rid + "_caption", text=caption)))
    return grid


class ProfileScreen(Screen):
    activity = "com.ss.android.ugc.aweme.profile.ui.UserProfileActivity"

    def __init__(self, username: str):
        self.username = username
        self.confirm = False  # the "Unfollow?" dialog is up

    def on_back(self, app) -> bool:
        if self.confirm:
            self.confirm = False
            return True
        return False

    def _follow_tap(self, app) -> None:
        if self.username in app.account.following:
            self.confirm = True
        else:
            app.set_follow(self.username, True, "profile")

    def _unfollow(self, app) -> None:
        self.confirm = False
        app.set_follow(self.username, False, "profile")

    def build(self, app) -> Node:
        r = app.r
        user = app.world.user(self.username)
        following = self.username in app.account.following
        root = Node(FRAME, r(0, 0, 1080, 2400), "profile_root", color="white")
        root.add(Node(IMAGE, r(20, 100, 130, 210), "profile_back", desc="Back", on_tap=app.pop),
                 Node(TEXT, r(200, 100, 880, 210), "profile_title", text=user.nickname),
                 Node(IMAGE, r(440, 240, 640, 440), "profile_avatar", color="grey"),
                 Node(TEXT, r(140, 460, 940, 540), "profile_username", text=f"@{user.username}"),
                 *_counts(app, "profile", user.following, user.followers + following, user.likes),
                 Node(BUTTON, r(240, 740, 840, 860), "profile_follow_button",
                      text="Following" if following else "Follow", selected=following,
                      color="light" if following else "red", on_tap=lambda: self._follow_tap(app)))
        root.add(_grid(app, "profile_video_item", [
            (f"Video {vid}", compact(app.world.video(vid).likes),
             lambda i=i: app.open_videos(user.videos, i)) for i, vid in enumerate(user.videos)]))
        if self.confirm:
            scrim = Node(FRAME, r(0, 0, 1080, 2400), on_tap=BLOCK)
            box = Node(FRAME, r(90, 950, 990, 1450), "dialog_container", color="white",
                       on_tap=BLOCK)
            box.add(Node(TEXT, r(140, 1000, 940, 1100), "dialog_title",
                         text=f"Unfollow @{self.username}?"),
                    Node(BUTTON, r(140, 1250, 520, 1390), "dialog_cancel", text="Cancel",
                         on_tap=lambda: setattr(self, "confirm", False)),
                    Node(BUTTON, r(560, 1250, 940, 1390), "dialog_confirm", text="Unfollow",
                         color="red", on_tap=lambda: self._unfollow(app)))
            root.add(scrim.add(box))
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

    def build(self, app) -> Node:
        r = app.r
        account = app.account
        root = Node(FRAME, r(0, 0, 1080, 2400), "own_profile_root", color="white")
        open_switcher = lambda: setattr(self, "switcher", True)  # noqa: E731
        root.add(Node(TEXT, r(300, 100, 780, 210), "own_username", text=f"@{account.username}",
                      desc="Switch account", on_tap=open_switcher),
                 Node(IMAGE, r(780, 120, 860, 190), "account_switch", desc="Switch account",
                      on_tap=open_switcher),
                 Node(IMAGE, r(440, 240, 640, 440), "own_avatar", color="grey"),
                 Node(TEXT, r(140, 460, 940, 540), "own_nickname", text=account.username),
                 *_counts(app, "own", len(account.following), 0,
                          len(account.liked)),
                 Node(BUTTON, r(240, 740, 840, 860), "edit_profile_button", text="Edit profile",
                      color="light"))
        progress = app.upload_progress()
        if progress:
            state, pct = progress
            text = f"Uploading {pct}%" if state == "uploading" else "Your post is published"
            root.add(Node(TEXT, r(40, 220, 700, 300), "upload_progress", text=text))
        root.add(_grid(app, "own_video_item", [
            (f"Post: {post['caption'][:40]}",
             "Uploading..." if post["status"] == "uploading" else "0 views", None)
            for post in account.posts]))
        root.add(nav_bar(app, "nav_profile"))
        if self.switcher:
            names = list(app.accounts)
            h = min(140, 700 // max(1, len(names) + 1))
            sheet = Node(FRAME, r(0, 1400, 1080, 2400), "switch_account_panel", color="light",
                         on_tap=BLOCK)
            sheet.add(Node(TEXT, r(300, 1420, 780, 1500), "switch_account_title",
                           text="Switch account"))
            listing = Node(RECYCLER, r(0, 1520, 1080, 2300), "account_list")
            for i, name in enumerate(names):
                y = 1520 + i * h
                listing.add(Node(LINEAR, r(0, y, 1080, y + h), "account_item", desc=f"@{name}",
                                 on_tap=lambda n=name: self._switch(app, n)).add(
                    Node(TEXT, r(160, y, 900, y + h), "account_name", text=f"@{name}"),
                    Node(IMAGE, r(940, y + 20, 1040, y + h - 20), "account_check",
                         checkable=True, checked=name == app.current,
                         selected=name == app.current)))
            y = 1520 + len(names) * h
            listing.add(Node(TEXT, r(160, y, 900, y + h), "add_account", text="Add account",
                             on_tap=lambda: self._add_account(app)))
            outside = Node(FRAME, r(0, 0, 1080, 1400), on_tap=lambda: setattr(self, "switcher", False))
            root.add(outside, sheet.add(listing))
        return root
