"""What the user's actions change in the simulated app's state: accounts (log in, switch with a
loading delay), follows, likes, favourites, comments, posts and their uploads, the media store
(scan order by mtime), the camera's photos, runtime permissions and the feed's next video.

A mixin of `App` (app.py); called under `AndroidUi`'s lock only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .state import IMAGE_EXT, VIDEO_EXT, Account, Media, Records, World

if TYPE_CHECKING:
    from .base import Screen, TextField

P = "android.permission."
READ_VIDEO, READ_IMAGES = P + "READ_MEDIA_VIDEO", P + "READ_MEDIA_IMAGES"
READ_SELECTED, READ_STORAGE = P + "READ_MEDIA_VISUAL_USER_SELECTED", P + "READ_EXTERNAL_STORAGE"
NOTIFICATIONS = P + "POST_NOTIFICATIONS"
_COMMON = {P + n for n in ("READ_EXTERNAL_STORAGE", "WRITE_EXTERNAL_STORAGE", "CAMERA",
                           "RECORD_AUDIO", "READ_CONTACTS", "ACCESS_FINE_LOCATION",
                           "ACCESS_COARSE_LOCATION")}
_SDK33 = {READ_VIDEO, READ_IMAGES, P + "READ_MEDIA_AUDIO", NOTIFICATIONS}


def known_permissions(sdk: int) -> set[str]:
    return _COMMON | (_SDK33 if sdk >= 33 else set()) | ({READ_SELECTED} if sdk >= 34 else set())


def default_grants(sdk: int) -> set[str]:
    """Granted at install: storage before Android 13; nothing runtime from 13 on."""
    return {READ_STORAGE} if sdk < 33 else set()


class Actions:
    # The app state these actions change; `App.__init__` sets every one of them.
    rng: random.Random
    clock: Callable[[], float]
    sdk: int
    world: World
    records: Records
    accounts: dict[str, Account]
    current: str | None
    granted: set[str]
    gallery: list[Media]
    scans: int
    photos: int
    uploads: list[dict]
    profiles: dict[str, dict]
    chats: dict[tuple[str, str], list[str]]
    switching: tuple[str, float] | None
    switch_seconds: float
    upload_seconds: float | tuple[float, float]
    ad_rate: float
    live_rate: float
    next_kinds: list[str]
    focus: TextField | None
    _feed: Screen | None

    if TYPE_CHECKING:  # navigation, defined by App
        @property
        def account(self) -> Account | None: ...
        def feed(self) -> Screen: ...
        def push(self, screen: Screen) -> None: ...
        def reset_to(self, screen: Screen) -> None: ...

    def _me(self) -> Account:
        """The logged-in account: the screens that act on others exist only while there is one."""
        account = self.account
        if account is None:
            raise RuntimeError("no account is logged in on this simulated app")
        return account

    def _me_name(self) -> str:
        """The logged-in account's username (the key of `accounts`)."""
        if self.current is None:
            raise RuntimeError("no account is logged in on this simulated app")
        return self.current

    # -- accounts -------------------------------------------------------------------------
    def login(self, username: str) -> None:
        username = username.strip().lstrip("@")
        if username:
            self.accounts.setdefault(username, Account(username))
            previous, self.current = self.current, username
            self.records.add("login", account=username, previous=previous)
            self._feed = None
            self.reset_to(self.feed())

    def switch_account(self, username: str) -> None:
        """Switch to another logged-in account: a loading screen for `switch_seconds`, then the
        new account's own profile."""
        if username == self.current or username not in self.accounts:
            return
        self.focus = None
        self.switching = (username, self.clock() + self.switch_seconds)
        if self.switch_seconds <= 0:
            self._finish_switch()

    def _finish_switch(self) -> None:
        from .profile import OwnProfileScreen  # profile imports screens that import this module
        if self.switching is None:
            return
        username, _ = self.switching
        self.switching = None
        self.records.add("switch_account", account=username, previous=self.current)
        self.current = username
        self._feed = None
        self.reset_to(OwnProfileScreen())

    # -- actions on others ----------------------------------------------------------------
    def set_follow(self, username: str, on: bool, via: str) -> None:
        following = self._me().following
        if on and username not in following:
            following.add(username)
            self.records.add("follow", account=self.current, username=username, via=via)
        elif not on and username in following:
            following.discard(username)
            self.records.add("unfollow", account=self.current, username=username, via=via)

    def toggle(self, kind: str, video_id: str) -> None:
        """Like or collect (favourite) a video, or undo it."""
        video = self.world.video(video_id)
        me = self._me()
        done = me.liked if kind == "like" else me.collected
        on = video_id not in done
        (done.add if on else done.discard)(video_id)
        setattr(video, kind + "s", getattr(video, kind + "s") + (1 if on else -1))
        self.records.add(kind if on else "un" + kind, account=self.current, video_id=video_id,
                         author=video.author)

    def comment(self, video_id: str, text: str) -> None:
        video = self.world.video(video_id)
        self.world.comments(video).insert(0, (self._me_name(), text))
        video.comments += 1
        self.records.add("comment", account=self.current, video_id=video_id, author=video.author,
                         text=text)

    def send_message(self, username: str, text: str) -> None:
        """A DM from the current account to @username (chat screen's Send)."""
        self.chats.setdefault((self._me_name(), username), []).append(text)
        self.records.add("message", account=self.current, username=username, text=text)

    # -- the own profile ------------------------------------------------------------------
    def profile_of(self, username: str) -> dict:
        """An own account's profile fields: name, username, bio, link, avatar (a media path)."""
        from .state import nickname
        return self.profiles.setdefault(username, {"name": nickname(username),
                                                   "username": username, "bio": "", "link": "",
                                                   "avatar": None})

    def edit_profile(self, field: str, value: str) -> None:
        """Save one field of the current account's profile; a new username renames the account
        (its handle, header and switcher row). A username already taken is not saved."""
        current = self._me_name()
        fields = self.profile_of(current)
        previous = fields[field]
        if field == "username":
            value = value.strip().lstrip("@")
            if not value or (value != current and value in self.accounts):
                self.records.add("edit_profile_refused", account=current, field=field,
                                 value=value)
                return
            self.accounts[current].username = value
            self.accounts = {(value if name == current else name): account
                             for name, account in self.accounts.items()}
            self.profiles[value] = self.profiles.pop(current)
            self.current = value
        fields[field] = value
        self.records.add("edit_profile", account=self.current, field=field, value=value,
                         previous=previous)

    def next_feed_video(self) -> str:
        """The id of the home feed's next video: now and then an ad or a LIVE stream."""
        kind = self.next_kinds.pop(0) if self.next_kinds else None
        if kind is None:
            x = self.rng.random()
            kind = "ad" if x < self.ad_rate else "live" if x < self.ad_rate + self.live_rate \
                else "video"
        if kind in ("ad", "live"):
            return self.world.special(self.rng, kind).id
        return self.rng.choice(sorted(v.id for v in self.world.videos.values()
                                      if v.kind == "video"))

    # -- posting --------------------------------------------------------------------------
    def publish(self, media: list[Media], caption: str, **details) -> dict:
        """A post starts uploading; `details` (entry path, title, sound, volumes, product link,
        placement) are kept in its record as the screens gave them."""
        now = self.clock()
        spend = self.upload_seconds
        if isinstance(spend, (tuple, list)):
            spend = self.rng.uniform(*spend)
        post = self.records.add(
            "post", account=self.current, caption=caption,
            media_type="video" if media[0].kind == "video" else "images",
            media=[{"name": m.name, "size": m.size, "kind": m.kind, "path": m.path} for m in media],
            status="uploading", video_id=str(self.rng.randint(7_400_000_000_000_000_000,
                                                              7_499_999_999_999_999_999)),
            started=round(now, 3), done_at=round(now + spend, 3), **details)
        self._me().posts.insert(0, post)
        self.uploads.append(post)
        return post

    def upload_percent(self) -> int | None:
        """The badge's percentage while this account's newest post uploads; None otherwise."""
        now = self.clock()
        for post in self.account.posts[:1] if self.account else []:
            if post["status"] == "uploading":
                spent = now - post["started"]
                total = max(post["done_at"] - post["started"], 1e-9)
                return max(0, min(99, int(100 * spent / total)))
        return None

    def take_photo(self) -> None:
        """The camera's shutter: a photo is taken and opens in the editor (no gallery involved)."""
        from .create import EditorScreen
        self.photos += 1
        name = f"IMG_{int(self.clock()) % 100000:05d}_{self.photos}.jpg"
        media = Media(f"/sdcard/DCIM/Camera/{name}", name, self.rng.randint(900_000, 3_000_000),
                      "image", self.clock())
        self.records.add("photo_taken", account=self.current, path=media.path)
        self.push(EditorScreen([media]))

    # -- media store and permissions ------------------------------------------------------
    def media_scan(self, path: str, size: int, mtime: float | None = None) -> bool:
        name = path.rsplit("/", 1)[-1]
        ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        kind = "video" if ext in VIDEO_EXT else "image" if ext in IMAGE_EXT else None
        if kind is None:
            return False
        self.media_remove(path)
        self.scans += 1
        self.gallery.append(Media(path, name, int(size), kind,
                                  time.time() if mtime is None else float(mtime), self.scans))
        return True

    def media_remove(self, path: str) -> None:
        self.gallery = [m for m in self.gallery if m.path != path]

    def gallery_items(self) -> list[Media]:
        """The media store as the picker lists it: newest mtime first, ties last scanned first."""
        return sorted(self.gallery, key=lambda m: (m.mtime, m.seq), reverse=True)

    def media_kinds(self) -> set[str]:
        """Which kinds of media the app may read with its current permissions."""
        g = self.granted
        if self.sdk < 33:
            return {"video", "image"} if READ_STORAGE in g else set()
        return ({"video"} if g & {READ_VIDEO, READ_SELECTED} else set()) | \
            ({"image"} if g & {READ_IMAGES, READ_SELECTED} else set())

    def _known(self, permission: str) -> str | None:
        """The full name of `permission` (short names allowed) if this Android knows it."""
        permission = permission if "." in permission else P + permission
        return permission if permission in known_permissions(self.sdk) else None

    def grant(self, permission: str) -> bool:
        known = self._known(permission)
        if known:
            self.granted.add(known)
        return known is not None

    def revoke(self, permission: str) -> bool:
        known = self._known(permission)
        if known:
            self.granted.discard(known)
        return known is not None
