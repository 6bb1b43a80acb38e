"""`comment`: open a post by its URL and comment on it. One task per post per phone (CONTRACT);
with `comment_order` sequential the i-th post's task takes the i-th comment option.

Steps: cold-start the app (account switched) -> `am start -d <post url>` -> the video shows ->
comments -> focus the box -> type the comment (ADB keyboard: byte for byte) -> Post -> the
comment is listed -> close the panel.
Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

from appliance.scripts.app_script import EMOJIS, AppScript, bad, option_lines, split_targets
from appliance.scripts.ui import Ui

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "target_post_urls": {"type": "array", "maxItems": 1000, "default": [],
                             "items": {"type": "string", "minLength": 1, "maxLength": 2048}},
        "target_post_url": {"type": "string", "maxLength": 200000, "default": "",
                            "description": "Post URLs separated by newlines or commas."},
        "comment_content": {"type": ["string", "array"], "maxLength": 100000, "maxItems": 1000,
                            "items": {"type": "string", "minLength": 1, "maxLength": 2000},
                            "description": "Comment options, one per line (or a list of "
                                           "options, each kept verbatim, line breaks too)."},
        "comment_order": {"enum": ["random", "sequential"], "default": "random"},
        "insert_emoji": {"type": "boolean", "default": False,
                         "description": "Append a random emoji to the comment."},
        "comment_index": {"type": "integer", "minimum": 0, "default": 0,
                          "description": "Set by the hub: this task's place in the fan-out."},
    },
    "required": ["comment_content"],
    "additionalProperties": True,
}


def urls(config: dict) -> list[str]:
    return split_targets(config["target_post_urls"], config["target_post_url"])


def options(config: dict) -> list[str]:
    content = config["comment_content"]
    if isinstance(content, list):
        return [c for c in content if c.strip()]
    return option_lines(content)


class Comment(AppScript):
    name = "comment"
    schema = SCHEMA

    def check(self, config: dict) -> None:
        if not options(config):
            raise bad("comment_content", "give at least one comment (one per line)")
        found = urls(config)
        if not found:
            raise bad("target_post_urls", "give at least one post URL (target_post_urls or "
                                          "target_post_url)")
        for url in found:
            if not url.startswith(("https://", "http://")) or any(ord(c) < 33 for c in url):
                raise bad("target_post_urls", f"{url[:80]!r} is not a post URL")

    def fanout(self, config: dict) -> list[dict]:
        return [{**config, "target_post_urls": [url], "target_post_url": url, "comment_index": i}
                for i, url in enumerate(urls(config))]

    def text(self, ctx, index: int) -> str:
        choices = options(ctx.config)
        if ctx.config["comment_order"] == "sequential":
            text = choices[index % len(choices)]
        else:
            text = ctx.random.choice(choices)
        if ctx.config["insert_emoji"]:
            text = f"{text} {ctx.random.choice(EMOJIS)}"
        return text

    def act(self, ctx, ui: Ui) -> str:
        base = int(ctx.config.get("comment_index") or 0)
        done = []
        for offset, url in enumerate(urls(ctx.config)):
            text = self.text(ctx, base + offset)
            ctx.log(f"opening {url}")
            ui.open_url(url)
            page = ui.wait("video_page", timeout=15, step="open the post")
            ui.tap("comment_button", step="open the comments")
            ui.tap("comment_input", step="focus the comment box")
            ui.type_text(text)
            ui.tap("comment_post", step="post the comment")
            ctx.log(f"commented on {page.desc or url}: {text!r}")
            ui.tap("comment_close", step="close the comments")
            done.append(text)
        return f"commented {len(done)} time(s): " + "; ".join(repr(t)[:80] for t in done)
