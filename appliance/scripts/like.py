"""`like`: open a post by its URL and like it once. One task per post per phone, like comment.
TikMatrix lists `like` as coming soon without a public config: the fields are the comment
script's target fields (`target_post_urls` list wins over the `target_post_url` string).

Steps: cold-start the app (account switched) -> `am start -d <post url>` -> the single video ->
the rail's Button whose desc starts `Like video`: `selected` = already liked (left as it is, and
the log says so); else tap it -> look until it shows selected.
Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

from appliance.scripts.app_script import AppScript, bad, list_wins
from appliance.scripts.ui import Ui

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "target_post_urls": {"type": "array", "maxItems": 1000, "default": [],
                             "items": {"type": "string", "minLength": 1, "maxLength": 2048},
                             "description": "Post URLs; when given, target_post_url is ignored."},
        "target_post_url": {"type": "string", "maxLength": 200000, "default": "",
                            "description": "Post URLs separated by newlines or commas."},
    },
    "additionalProperties": True,
}


def urls(config: dict) -> list[str]:
    """target_post_urls if it names any, else target_post_url (TikMatrix: the list wins)."""
    return list_wins(config["target_post_urls"], config["target_post_url"])


def check_urls(found: list[str]) -> None:
    if not found:
        raise bad("target_post_urls", "give at least one post URL (target_post_urls or "
                                      "target_post_url)")
    for url in found:
        if not url.startswith(("https://", "http://")) or any(ord(c) < 33 for c in url):
            raise bad("target_post_urls", f"{url[:80]!r} is not a post URL")


class Like(AppScript):
    name = "like"
    schema = SCHEMA

    def check(self, config: dict) -> None:
        check_urls(urls(config))

    def fanout(self, config: dict) -> list[dict]:
        return [{**config, "target_post_urls": [url], "target_post_url": url}
                for url in urls(config)]

    def act(self, ctx, ui: Ui) -> str:
        done = []
        for url in urls(ctx.config):
            ctx.check()
            done.append(like_post(ctx, ui, url))
        return "; ".join(done)


def like_post(ctx, ui: Ui, url: str) -> str:
    ctx.log(f"opening {url}")
    ui.open_url(url)
    step = "open the post"
    screen = ui.wait_for(lambda s: ui.find("feed.like", s) is not None, step, timeout=20)
    button = ui.need("feed.like", step, screen)
    if button.selected:
        ctx.log(f"{url} is already liked: left as it is")
        return f"already liked {url}"
    step = "like the post"
    ui.tap(button)

    def liked(s) -> bool:
        node = ui.find("feed.like", s)
        return node is not None and node.selected

    ui.wait_for(liked, step, timeout=10)
    ctx.log(f"liked {url}")
    return f"liked {url}"
