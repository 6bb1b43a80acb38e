"""What the simulated short-video app knows: other users and their videos (made up on demand,
deterministically per seed), the logged-in accounts with their follows/likes/posts, the gallery
of media-scanned files, and the record of what happened.

No screens and no threads here; `App` (app.py) owns one World, the Accounts and the Records, and
calls them under `AndroidUi`'s lock.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

_SYLLABLES = ["ka", "lo", "mi", "ra", "zu", "te", "no", "vi", "sa", "be", "do", "ly", "xo", "ju"]
_WORDS = ["sunset", "dance", "recipe", "cat", "travel", "gym", "coffee", "city", "beach", "art"]
_TAGS = ["#fyp", "#foryou", "#viral", "#trend", "#funny", "#diy", "#food", "#music"]


_BRANDS = ["glowskin", "fastcart", "snackco", "travelr", "fitband"]


def nickname(username: str) -> str:
    """A user's display name, derived from the username."""
    return username.replace("_", " ").replace(".", " ").strip().title() or username


@dataclass
class User:
    username: str
    nickname: str
    followers: int
    following: int
    likes: int
    videos: list[str] = field(default_factory=list)


@dataclass
class Video:
    id: str
    author: str
    desc: str
    likes: int
    comments: int
    collects: int
    shares: int
    kind: str = "video"  # "video", "ad" (sponsored) or "live" (a LIVE stream in the feed)
    # (author, text), newest first; made up when first shown (see World.comments)
    comment_list: list[tuple[str, str]] | None = None


@dataclass
class Account:
    """A logged-in account on this phone and what it has done."""

    username: str
    following: set[str] = field(default_factory=set)
    liked: set[str] = field(default_factory=set)
    collected: set[str] = field(default_factory=set)
    posts: list[dict] = field(default_factory=list)  # the same dicts as the "post" records


@dataclass
class Media:
    path: str
    name: str
    size: int
    kind: str  # "video" or "image"
    mtime: float = 0.0  # the file's mtime when it was scanned (gallery order, newest first)
    seq: int = 0        # scan order, breaking mtime ties (last scanned first)

    @property
    def duration(self) -> str:
        """The `MM:SS` label of a video tile (made up from the path, stable)."""
        seconds = 5 + sum(map(ord, self.path)) % 55
        return f"00:{seconds:02d}"


VIDEO_EXT = (".mp4", ".mov", ".3gp", ".mkv", ".webm", ".avi")
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".bmp")


class World:
    """Other users and videos. Any username or video id asked for exists (made up from the seed),
    so a deep link or search for a name the product was given always finds someone."""

    def __init__(self, seed: int, population: int = 40):
        self.seed = seed
        self.users: dict[str, User] = {}
        self.videos: dict[str, Video] = {}
        rng = random.Random(f"{seed}:world")
        for _ in range(population):
            name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
            self.user(f"{name}{rng.choice(['', '_', '.'])}{rng.randint(1, 999)}")

    def _rng(self, key: str) -> random.Random:
        return random.Random(f"{self.seed}:{key}")  # str seeds are stable across runs

    def user(self, username: str) -> User:
        username = username.lstrip("@")
        if username not in self.users:
            rng = self._rng("user:" + username)
            user = User(username, nickname(username),
                        rng.randint(10, 2_000_000), rng.randint(0, 900), rng.randint(0, 9_000_000))
            self.users[username] = user
            for _ in range(rng.randint(3, 6)):
                self.video(str(rng.randint(7_100_000_000_000_000_000, 7_399_999_999_999_999_999)),
                           username)
        return self.users[username]

    def video(self, video_id: str, author: str | None = None) -> Video:
        if video_id not in self.videos:
            rng = self._rng("video:" + video_id)
            if not author:
                author = rng.choice(sorted(self.users)) if self.users else "tiktok"
            author = author.lstrip("@")
            desc = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.choice(_TAGS)} {rng.choice(_TAGS)}"
            video = Video(video_id, author, desc, rng.randint(0, 500_000), rng.randint(0, 3000),
                          rng.randint(0, 20_000), rng.randint(0, 9000))
            self.videos[video_id] = video
            owner = self.user(author)
            if video_id not in owner.videos:
                owner.videos.append(video_id)
        return self.videos[video_id]

    def special(self, rng: random.Random, kind: str) -> Video:
        """A new sponsored video ("ad") or LIVE stream ("live") for the home feed."""
        vid = str(rng.randint(7_500_000_000_000_000_000, 7_599_999_999_999_999_999))
        author = rng.choice(_BRANDS) if kind == "ad" else rng.choice(sorted(self.users))
        video = self.video(vid, author)
        video.kind = kind
        self.users[author].videos.remove(vid)  # not in the author's grid
        if kind == "ad":
            video.desc = f"{rng.choice(_WORDS)} deals for you {rng.choice(_TAGS)}"
        return video

    def follows_back(self, username: str) -> bool:
        """Whether this user follows back whoever follows them (about 1 in 5, fixed per name)."""
        return self._rng("followback:" + username.lstrip("@")).random() < 0.2

    def comments(self, video: Video) -> list[tuple[str, str]]:
        """The video's comments, newest first; the list the app inserts new ones into."""
        if video.comment_list is None:
            rng = self._rng("comments:" + video.id)
            names = sorted(self.users) or ["someone"]
            video.comment_list = [
                (rng.choice(names), f"{rng.choice(_WORDS)} {rng.choice(['!!', '😂', 'wow', 'love it'])}")
                for _ in range(min(video.comments, 3))]
        return video.comment_list

    def search_users(self, query: str) -> list[User]:
        q = query.strip().lstrip("@").lower()
        if not q:
            return []
        if " " not in q and q not in self.users:
            self.user(q)  # the exact name someone searched for exists
        exact = [self.users[q]] if q in self.users else []
        return exact + [u for n, u in sorted(self.users.items()) if q in n.lower() and n != q][:9]

    def search_videos(self, query: str) -> list[Video]:
        words = query.lower().replace("#", " ").split()
        hits = [v for v in self.videos.values() if v.kind == "video"
                and any(w in v.desc.lower() or w in v.author.lower() for w in words)]
        return hits[:10]


class Records:
    """The app's own log of user-visible actions, read by tests and `appliance sim`."""

    def __init__(self, clock):
        self.clock = clock
        self.items: list[dict] = []

    def add(self, kind: str, **fields) -> dict:
        record = {"kind": kind, "t": round(self.clock(), 3), **fields}
        self.items.append(record)
        return record

    def list(self, kind: str | None = None) -> list[dict]:
        return [copy.deepcopy(r) for r in self.items if kind is None or r["kind"] == kind]
