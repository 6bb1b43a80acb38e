"""`comment`: open a post by its URL and comment on it. One task per post per phone (docs/API.md, Fan-out);
with `comment_order` sequential the i-th post's task takes the i-th comment option.

Steps: cold-start the app (account switched) -> `am start -d <post url>` -> the single video
(a playing video is paused for the dump) -> `Read or add comments` -> the sheet's input -> type
(ADB keyboard: byte for byte) -> send (rightmost clickable of the input's row) -> the input
shows its placeholder again -> close the sheet (`Close`, else BACK).
Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from appliance.errors import ApplianceError
from appliance.scripts.anchors import is_word
from appliance.scripts.app_script import EMOJIS, AppScript, bad, list_wins, option_lines
from appliance.scripts.hierarchy import Screen
from appliance.scripts.ui import Ui

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "target_post_urls": {"type": "array", "maxItems": 1000, "default": [],
                             "items": {"type": "string", "minLength": 1, "maxLength": 2048}},
        "target_post_url": {"type": "string", "maxLength": 200000, "default": "",
                            "description": "Post URLs separated by newlines or commas; used "
                                           "when target_post_urls is empty (the list wins)."},
        "comment_content": {"type": ["string", "array"], "maxLength": 100000, "maxItems": 1000,
                            "items": {"type": "string", "minLength": 1, "maxLength": 2000},
                            "description": "Comment options, one per line (or a list of "
                                           "options, each kept verbatim, line breaks too)."},
        "comment_order": {"enum": ["random", "sequential"], "default": "random"},
        "insert_emoji": {"type": "boolean", "default": False,
                         "description": "Append a random emoji to the comment."},
        "comment_image_path": {"type": "string", "maxLength": 4096, "default": "",
                               "description": "An image to attach (TikMatrix: TikTok only). Not "
                                              "supported by this hub: the comment is posted as "
                                              "text and the task's log says so."},
        "comment_index": {"type": "integer", "minimum": 0, "default": 0,
                          "description": "Set by the hub: this task's place in the fan-out."},
    },
    "required": ["comment_content"],
    "additionalProperties": True,
}


TIKTOK_HOSTS = ("tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com")


def urls(config: dict) -> list[str]:
    """target_post_urls if it names any, else target_post_url (TikMatrix: the list wins)."""
    return list_wins(config["target_post_urls"], config["target_post_url"])


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
        if ctx.config.get("comment_image_path"):
            ctx.warn("comment_image_path is not supported by this hub: the comment is posted "
                     "as text only")
        done = []
        for offset, url in enumerate(urls(ctx.config)):
            if (urlsplit(url).hostname or "").lower() not in TIKTOK_HOSTS:
                # TikMatrix also comments on Instagram; this hub drives the TikTok app only.
                raise ApplianceError(f"{url[:200]} is not a TikTok post link: this hub comments "
                                     "through the TikTok app only (Instagram is not supported)")
            text = self.text(ctx, base + offset)
            ctx.log(f"opening {url}")
            ui.open_url(url)
            screen = ui.wait_for(lambda s: ui.find("feed.comment", s) is not None,
                                 "open the post", timeout=20)
            post_comment(ctx, ui, text, screen)
            ctx.log(f"commented on {url}: {text!r}")
            done.append(text)
        return f"commented {len(done)} time(s): " + "; ".join(repr(t)[:80] for t in done)


def post_comment(ctx, ui: Ui, text: str, screen: Screen) -> None:
    """On a video: comments -> the input -> type -> send (the rightmost clickable of the input's
    row, there once text is typed) -> the field shows its placeholder again -> close the sheet."""
    ui.tap_control("feed.comment", "open the comments", screen)
    sheet = ui.wait_for(["comments"], "open the comments", timeout=10)
    ui.tap_control("comment.input", "focus the comment box", sheet)
    ctx.sleep(0.3)
    ui.type_text(text)
    step = "post the comment"
    sheet = ui.wait_for(lambda s: ui.find("comment.send", s) is not None, step, timeout=8)
    ui.tap_control("comment.send", step, sheet)
    sent = ui.wait_for(lambda s: s.name == "comments" and _empty_input(ui, s), step, timeout=8)
    close = ui.find("comment.close", sent)
    if close is not None:
        ui.tap(close)
    else:
        ui.back()
    ui.wait_for(lambda s: s.name != "comments", "close the comments", timeout=8)


def _empty_input(ui: Ui, screen: Screen) -> bool:
    field = ui.find("comment.input", screen)
    return field is not None and is_word(field.text, "add_comment", ui.locale)
