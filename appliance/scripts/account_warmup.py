"""`account_warmup`: watch the feed (or a topic's results) like a person, now and then liking,
following, favouriting or commenting. Runs on an engine worker thread through its ScriptContext.
"""

from __future__ import annotations

from appliance.errors import InvalidParams
from appliance.scripts.base import Script

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


class AccountWarmup(Script):
    name = "account_warmup"
    schema = SCHEMA

    def check(self, config: dict) -> None:
        if config["min_duration"] > config["max_duration"]:
            raise InvalidParams(
                "Invalid parameter script_config.min_duration: must not be above max_duration.",
                data={"field": "script_config.min_duration"})

    def run(self, ctx) -> str | None:
        raise NotImplementedError("account_warmup is being built")
