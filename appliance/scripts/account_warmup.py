"""`account_warmup`: watch the feed (or a topic's results) like a person, now and then liking,
following, favouriting or commenting. Runs on an engine worker thread through its ScriptContext.

Steps (inside AppScript.drive: cold start, popups dismissed, switch to the task's account):
optionally search a topic and open its first video -> loop until task_duration: watch for a
time drawn from [min_duration, max_duration], then like / follow / favourite / comment each with
its probability (percent), swipe to the next video -> press HOME (the app records the last
watch). Every step is a log line.
"""

from __future__ import annotations

import time

from appliance.errors import InvalidParams
from appliance.scripts.app_script import EMOJIS, AppScript
from appliance.scripts.ui import Screen, Ui

_PERCENT = {"type": "number", "minimum": 0, "maximum": 100}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "account_warmup script_config",
    "type": "object",
    "properties": {
        "task_duration": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400,
                          "default": 600, "description": "Seconds the warm-up lasts."},
        "topic": {"type": "string", "maxLength": 1000, "default": "",
                  "description": "Search term(s), one per line, one picked per task; "
                                 "empty: watch the For You feed."},
        "min_duration": {"type": "number", "minimum": 0, "maximum": 3600, "default": 15,
                         "description": "Shortest watch time of one video, in seconds."},
        "max_duration": {"type": "number", "minimum": 0, "maximum": 3600, "default": 30,
                         "description": "Longest watch time of one video, in seconds."},
        "like_probable": dict(_PERCENT, default=50,
                              description="Chance (percent) of liking a watched video."),
        # (sic) TikMatrix's published name.
        "floow_probable": dict(_PERCENT, default=10,
                               description="Chance (percent) of following the video's author."),
        "collect_probable": dict(_PERCENT, default=20,
                                 description="Chance (percent) of adding it to favourites."),
        "comment_probable": dict(_PERCENT, default=0,
                                 description="Chance (percent) of commenting on it."),
        "comment": {"type": "string", "maxLength": 10000, "default": "",
                    "description": "Comment texts, one option per line."},
        "insert_emoji": {"type": "boolean", "default": False,
                         "description": "Append a random emoji to each comment."},
        "comment_order": {"enum": ["random", "sequential"], "default": "random",
                          "description": "Pick comment lines at random or in order."},
    },
    "additionalProperties": True,
}


class AccountWarmup(AppScript):
    name = "account_warmup"
    schema = SCHEMA

    def check(self, config: dict) -> None:
        if config["min_duration"] > config["max_duration"]:
            raise InvalidParams(
                "Invalid parameter script_config.min_duration: must not be above max_duration.",
                data={"field": "script_config.min_duration"})

    def act(self, ctx, ui: Ui) -> str | None:
        return _Warmup(ctx, ui).run()


class _Warmup:
    """One warm-up session; lives for one task on its worker thread."""

    def __init__(self, ctx, ui: Ui):
        self.ctx, self.cfg, self.rng = ctx, ctx.config, ctx.random
        self.ui = ui
        self.counts = {"like": 0, "follow": 0, "collect": 0, "comment": 0}
        self.comments = [line.strip() for line in self.cfg["comment"].splitlines() if line.strip()]
        self._next_comment = 0

    def run(self) -> str:
        ctx, cfg = self.ctx, self.cfg
        if ctx.username:   # the account switch left the app on the own profile
            self.ui.tap("home_tab", step="return to the feed")
            self.ui.wait("feed", step="return to the feed")
        in_results = self._search() if cfg["topic"].strip() else False
        started, watched, seconds = time.monotonic(), 0, 0.0
        duration = float(cfg["task_duration"])
        shortest = float(cfg["min_duration"])
        while True:
            left = duration - (time.monotonic() - started)
            # A person does not open another video with no time left to watch it: after the
            # first video, stop when less than min_duration remains (no truncated last watch).
            if left <= 0 or (watched and left < shortest):
                break
            screen = self.ui.dump()
            if self.ui.dismiss_popups(screen):
                continue
            author = self._author(screen)
            watch = min(left, self.rng.uniform(cfg["min_duration"], cfg["max_duration"]))
            ctx.sleep(watch)
            watched, seconds = watched + 1, seconds + watch
            ctx.log(f"watched video {watched} by {author or 'an unknown author'} for {watch:.1f} s")
            self._act(author)
            if duration - (time.monotonic() - started) < shortest:
                break
            before = self._identity(self.ui.last or screen)
            self.ui.swipe_up()
            if in_results and self._identity(self.ui.dump()) == before:
                ctx.log("end of the topic's videos: back to the For You feed")
                self.ui.back()
                self.ui.back()
                self.ui.wait("feed", step="return to the feed")
                in_results = False
        self.ui.key("HOME")
        c = self.counts
        summary = (f"watched {watched} videos for {seconds:.0f} s; liked {c['like']}, "
                   f"followed {c['follow']}, favourited {c['collect']}, commented {c['comment']}")
        ctx.log(summary)
        return summary

    # --- steps ------------------------------------------------------------------------

    def _search(self) -> bool:
        """Search a topic (one line of `topic`, at random) and open its first video; False
        (and the For You feed) when it has no videos."""
        topics = [t.strip() for t in self.cfg["topic"].splitlines() if t.strip()]
        topic = self.rng.choice(topics)
        self.ctx.log(f"searching the topic {topic!r}")
        self.ui.tap("feed_search", step="open search")
        self.ui.tap("search_input", step="focus the search box")
        self.ui.type_text(topic)
        self.ui.tap("search_button", step="run the search")
        self.ui.tap("search_tab_videos", step="show the videos of the topic")
        node = self.ui.wait([*self.ui._selector("search_video_item"),
                             *self.ui._selector("search_empty")], step="read the results")
        if node.short_id != "search_video_item":
            self.ctx.log(f"no videos for {topic!r}: watching the For You feed instead")
            self.ui.back()
            self.ui.wait("feed", step="return to the feed")
            return False
        self.ui.tap(node)
        self.ui.wait("video_page", step="open the first video of the topic")
        return True

    def _author(self, screen: Screen) -> str:
        node = self.ui.find("author_name", screen)
        return node.text if node else ""

    def _identity(self, screen: Screen) -> tuple:
        page = self.ui.find("video_page", screen)
        desc = next((n.text for n in screen.nodes if n.short_id == "video_desc"), "")
        return (page.desc if page else "", desc)

    def _chance(self, key: str) -> bool:
        return self.rng.random() * 100 < float(self.cfg[key])

    def _act(self, author: str) -> None:
        ui, ctx = self.ui, self.ctx
        who = author or "the author"
        if self._chance("like_probable"):
            node = ui.find("like_button")
            if node is not None and not node.selected:
                ui.tap(node)
                self.counts["like"] += 1
                ctx.log(f"liked the video by {who}")
        if self._chance("floow_probable"):
            node = ui.find("follow_button")
            if node is not None:
                ui.tap(node)
                self.counts["follow"] += 1
                ctx.log(f"followed {who}")
        if self._chance("collect_probable"):
            node = ui.find("collect_button")
            if node is not None and not node.selected:
                ui.tap(node)
                self.counts["collect"] += 1
                ctx.log(f"added the video by {who} to favourites")
        if self._chance("comment_probable"):
            text = self._comment_text()
            if text is None:
                ctx.log("comment chance came up but script_config.comment is empty: skipped",
                        "warning")
            else:
                self._comment(text, who)

    def _comment_text(self) -> str | None:
        if not self.comments:
            return None
        if self.cfg["comment_order"] == "sequential":
            text = self.comments[self._next_comment % len(self.comments)]
            self._next_comment += 1
        else:
            text = self.rng.choice(self.comments)
        if self.cfg["insert_emoji"]:
            text = f"{text} {self.rng.choice(EMOJIS)}"
        return text

    def _comment(self, text: str, who: str) -> None:
        ui = self.ui
        ui.tap("comment_button", step="open the comments")
        ui.tap("comment_input", step="focus the comment box")
        ui.type_text(text)
        ui.tap("comment_post", step="post the comment")
        self.counts["comment"] += 1
        self.ctx.log(f"commented on the video by {who}: {text!r}")
        ui.tap("comment_close", step="close the comments")
