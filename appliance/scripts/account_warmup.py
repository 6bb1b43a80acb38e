"""`account_warmup`: watch the feed (or a topic's results) like a person, now and then liking,
following, favouriting or commenting. Runs on an engine worker thread through its ScriptContext.

Steps (inside AppScript.drive: cold start, popups dismissed, switch to the task's account):
optionally search a topic and open its first video -> loop until task_duration: watch for a
time drawn from [min_duration, max_duration], then like / follow / favourite / comment each with
its probability (percent), swipe to the next video; ads (`Ad` text) and LIVE items (no `Like
video` button) are swiped past quickly -> press HOME (the app records the last watch). One dump
per video; every step is a log line.
"""

from __future__ import annotations

import time

from appliance.errors import InvalidParams
from appliance.scripts.accounts import go_home
from appliance.scripts.anchors import fold, in_region, match, words
from appliance.scripts.app_script import EMOJIS, AppScript
from appliance.scripts.comment import post_comment
from appliance.scripts.hierarchy import Screen
from appliance.scripts.ui import Ui

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
        "like_probable": dict(_PERCENT, default=0,
                              description="Chance (percent) of liking a watched video."),
        # (sic) TikMatrix's published name.
        "floow_probable": dict(_PERCENT, default=0,
                               description="Chance (percent) of following the video's author."),
        "collect_probable": dict(_PERCENT, default=0,
                                 description="Chance (percent) of adding it to favourites."),
        "comment_probable": dict(_PERCENT, default=0,
                                 description="Chance (percent) of commenting on it."),
        "comment": {"type": "string", "maxLength": 10000, "default": "",
                    "description": "Comment texts, one option per line."},
        "insert_emoji": {"type": "boolean", "default": False,
                         "description": "Append a random emoji to each comment."},
        "comment_order": {"enum": ["random", "sequential"], "default": "random",
                          "description": "Pick comment lines at random or in order."},
        "generate_by_chatgpt": {"type": "boolean", "default": False,
                                "description": "TikMatrix: write comments with ChatGPT. Not "
                                               "supported by this hub: comments come from "
                                               "`comment`, and the task's log says so."},
        "chatgpt_settings": {"type": "object", "default": {},
                             "description": "TikMatrix: ChatGPT's settings (api_key, model, "
                                            "prompt, ...). Accepted and not stored (it holds an "
                                            "API key): this hub does not call ChatGPT."},
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

    def fanout(self, config: dict) -> list[dict]:
        # chatgpt_settings holds an API key this hub never uses: it is not stored in the task.
        return [{k: v for k, v in config.items() if k != "chatgpt_settings"}]

    def act(self, ctx, ui: Ui) -> str | None:
        if ctx.config.get("generate_by_chatgpt"):
            ctx.warn("generate_by_chatgpt is not supported by this hub: comments come from "
                     "script_config.comment (none given: no comments)")
        return _Warmup(ctx, ui).run()


class _Warmup:
    """One warm-up session; lives for one task on its worker thread. One dump per video (plus
    the pause retry while it plays); ads and LIVE items are swiped past after a short look."""

    def __init__(self, ctx, ui: Ui):
        self.ctx, self.cfg, self.rng = ctx, ctx.config, ctx.random
        self.ui = ui
        self.counts = {"like": 0, "follow": 0, "collect": 0, "comment": 0, "skipped": 0}
        self.comments = [line.strip() for line in self.cfg["comment"].splitlines() if line.strip()]
        self._next_comment = 0

    def run(self) -> str:
        ctx, cfg, ui = self.ctx, self.cfg, self.ui
        go_home(ui)
        in_results = self._search() if cfg["topic"].strip() else False
        started, watched, seconds = time.monotonic(), 0, 0.0
        duration = float(cfg["task_duration"])
        shortest = float(cfg["min_duration"])
        before = None
        while True:
            left = duration - (time.monotonic() - started)
            # A person does not open another video with no time left to watch it: after the
            # first video, stop when less than min_duration remains (no truncated last watch).
            if left <= 0 or (watched and left < shortest):
                break
            screen = ui.look("watch the feed")
            if screen.name != "feed":
                screen = self._back_to_video(screen)
            if in_results and before is not None and self._identity(screen) == before:
                ctx.log("end of the topic's videos: back to the For You feed")
                go_home(ui)
                in_results, before = False, None
                continue
            skip = self._skip_reason(screen)
            if skip:
                self.counts["skipped"] += 1
                ctx.log(f"skipped {skip}")
                ctx.sleep(min(left, self.rng.uniform(0.5, 1.5)))
            else:
                author = self._author(screen)
                watch = min(left, self.rng.uniform(cfg["min_duration"], cfg["max_duration"]))
                ctx.sleep(watch)
                watched, seconds = watched + 1, seconds + watch
                ctx.log(f"watched video {watched} by {author or 'an unknown author'} for {watch:.1f} s")
                self._act(screen, author)
                if duration - (time.monotonic() - started) < shortest:
                    break
            before = self._identity(screen)
            ui.swipe_up()
        ui.key("HOME")
        c = self.counts
        summary = (f"watched {watched} videos for {seconds:.0f} s; liked {c['like']}, "
                   f"followed {c['follow']}, favourited {c['collect']}, commented {c['comment']}"
                   + (f"; skipped {c['skipped']} ads/LIVE" if c["skipped"] else ""))
        ctx.log(summary)
        return summary

    # --- steps ------------------------------------------------------------------------

    def _back_to_video(self, screen: Screen) -> Screen:
        """A sheet or another screen left open: BACK (bounded) until a video shows again."""
        for _ in range(3):
            self.ui.back()
            screen = self.ui.look("return to the video")
            if screen.name == "feed":
                return screen
        return go_home(self.ui)

    def _skip_reason(self, screen: Screen) -> str:
        if self.ui.find("feed.ad", screen) is not None:
            return "an ad"
        if self.ui.find("feed.like", screen) is None:
            return "a LIVE stream (no Like button)"
        return ""

    def _search(self) -> bool:
        """Search a topic (one line of `topic`, at random) and open its first video; False
        (and the For You feed) when it has no videos."""
        ui, ctx = self.ui, self.ctx
        topics = [t.strip() for t in self.cfg["topic"].splitlines() if t.strip()]
        topic = self.rng.choice(topics)
        ctx.log(f"searching the topic {topic!r}")
        ui.search(topic)
        step = "show the videos of the topic"
        screen = ui.wait_for(lambda s: ui.find("search.videos_tab", s) is not None, step, timeout=12)
        ui.tap_control("search.videos_tab", step, screen)
        ctx.sleep(0.5)
        screen = ui.wait_for(lambda s: ui.find("search.first_video", s) is not None or bool(
            match(s, {"text": {"exact": "no_results"}}, ui.locale)), "read the results", timeout=12)
        tile = ui.find("search.first_video", screen)
        if tile is None:
            ctx.log(f"no videos for {topic!r}: watching the For You feed instead")
            # The search screens have no nav row: BACK out of them first.
            for _ in range(3):
                if ui.find("nav.home", screen) is not None:
                    break
                ui.back()
                screen = ui.look("leave the search")
            go_home(ui)
            return False
        ui.tap(tile)
        ui.wait_for(["feed"], "open the first video of the topic", timeout=12)
        return True

    def _author(self, screen: Screen) -> str:
        node = self.ui.find("feed.follow_author", screen)
        if node is not None:
            desc = fold(node.desc)
            for prefix in map(fold, words("follow_author", self.ui.locale)):
                if desc.startswith(prefix):
                    return desc[len(prefix):].strip()
        return ""

    def _identity(self, screen: Screen) -> tuple:
        """What tells two videos apart: the labels outside the right rail (author, caption)."""
        return tuple(sorted(n.text for n in screen.nodes
                            if n.text and not in_region(screen, n, "right_rail")))

    def _chance(self, key: str) -> bool:
        return self.rng.random() * 100 < float(self.cfg[key])

    def _act(self, screen: Screen, author: str) -> None:
        ui, ctx = self.ui, self.ctx
        who = author or "the author"
        if self._chance("like_probable"):
            node = ui.find("feed.like", screen)
            if node is not None and not node.selected:
                ui.tap(node)
                self.counts["like"] += 1
                ctx.log(f"liked the video by {who}")
        if self._chance("floow_probable"):
            node = ui.find("feed.follow_author", screen)
            if node is not None:
                ui.tap(node)
                self.counts["follow"] += 1
                ctx.log(f"followed {who}")
        if self._chance("collect_probable"):
            node = ui.find("feed.favourite", screen)
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
                post_comment(ctx, ui, text, screen)
                self.counts["comment"] += 1
                ctx.log(f"commented on the video by {who}: {text!r}")

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
