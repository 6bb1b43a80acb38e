"""`scrape_user`: read the followers or the following list of a target user, or the users a
keyword search finds, up to `max_count`; the rows (username, display name, follower count when
the row shows one) are kept with the task and returned by GET /task/{id} as `results`.
TikMatrix lists this script as coming soon without a public config: the names here
(`target_users`/`target_user`, `scrape_type`, `keyword`, `max_count`) are TikMatrix-style.

Steps: followers/following: the profile of @user (deep link or search, as follow does) -> the
`Followers`/`Following` counter label -> the list: every row is the clickable around a
`Follow`/`Following`/`Friends` Button; its texts top to bottom are the display name and the
username -> swipe up until max_count rows or a swipe brings nothing new. keyword: feed Search ->
type -> `Users` tab -> the same rows (`@handle`). One task per target per phone.
Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

import json
import re

from appliance.scripts.accounts import go_home
from appliance.scripts.anchors import is_word
from appliance.scripts.app_script import AppScript, bad
from appliance.scripts.follow import open_profile, targets
from appliance.scripts.hierarchy import Screen
from appliance.scripts.ui import Ui

#: the level of the log line holding the scraped rows (JSON); TaskService shows it as `results`
RESULTS_LEVEL = "results"
_BUTTON_WORDS = ["follow", "following", "friends_state"]
_FOLLOWER_COUNT = re.compile(r"([\d][\d.,\s\u00a0]*[KkMm]?)\s*(followers|abonnés)", re.I)

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "scrape_type": {"enum": ["followers", "following", "keyword"], "default": "followers",
                        "description": "followers / following of each target user, or the "
                                       "users a keyword search finds."},
        "target_users": {"type": "array", "maxItems": 100, "default": [],
                         "items": {"type": "string", "minLength": 1, "maxLength": 100},
                         "description": "Usernames (with or without @); when given, "
                                        "target_user is ignored."},
        "target_user": {"type": "string", "maxLength": 10000, "default": "",
                        "description": "Usernames separated by newlines or commas."},
        "keyword": {"type": "string", "maxLength": 200, "default": "",
                    "description": "keyword: what to search for."},
        "max_count": {"type": "integer", "minimum": 1, "maximum": 5000, "default": 100,
                      "description": "Stop after this many users."},
        "access_method": {"enum": ["direct", "search"], "default": "direct"},
    },
    "additionalProperties": True,
}


class ScrapeUser(AppScript):
    name = "scrape_user"
    schema = SCHEMA

    def check(self, config: dict) -> None:
        if config["scrape_type"] == "keyword":
            if not config["keyword"].strip():
                raise bad("keyword", "give the keyword to search for")
            if any(ord(c) < 32 for c in config["keyword"]):
                raise bad("keyword", "the keyword holds a control character")
            return
        names = targets(config)
        if not names:
            raise bad("target_users", "give the user whose list to read (target_users or "
                                      "target_user)")
        for name in names:
            if any(ch in name for ch in "/?#\x00") or any(ord(ch) < 32 for ch in name):
                raise bad("target_users", f"{name!r} is not a username")

    def fanout(self, config: dict) -> list[dict]:
        if config["scrape_type"] == "keyword":
            return [config]
        return [{**config, "target_users": [name], "target_user": name}
                for name in targets(config)]

    def act(self, ctx, ui: Ui) -> str:
        cfg = ctx.config
        kind, limit = cfg["scrape_type"], cfg["max_count"]
        if kind == "keyword":
            what = f"users found for {cfg['keyword']!r}"
            screen = open_search(ctx, ui, cfg["keyword"])
            users = read_list(ctx, ui, screen, limit, what)
            store(ctx, kind, cfg["keyword"], users)
            return f"scraped {len(users)} {what}"
        total = []
        for user in targets(cfg):
            screen = open_list(ctx, ui, user, kind, cfg["access_method"])
            users = read_list(ctx, ui, screen, limit, f"{kind} of @{user}")
            store(ctx, kind, user, users)
            total.append(f"{len(users)} {kind} of @{user}")
        return "scraped " + "; ".join(total)


def open_list(ctx, ui: Ui, user: str, kind: str, method: str) -> Screen:
    screen = open_profile(ctx, ui, user, method)
    step = f"open the {kind} of @{user}"
    ui.tap_control(f"profile.{kind}", step, screen)

    def on_tab(s: Screen) -> bool:
        tab = ui.find(f"list.{kind}_tab", s)
        return tab is not None and tab.selected

    return ui.wait_for(on_tab, step, timeout=12)


def open_search(ctx, ui: Ui, keyword: str) -> Screen:
    ctx.log(f"searching for {keyword!r}")
    go_home(ui, "go to the feed")
    ui.search(keyword)
    step = "open the Users results"
    screen = ui.wait_for(lambda s: ui.find("search.users_tab", s) is not None, step, timeout=12)
    ui.tap_control("search.users_tab", step, screen)
    return ui.wait_for(lambda s: (lambda t: t is not None and t.selected)(
        ui.find("search.users_tab", s)), step, timeout=12)


def rows(ui: Ui, screen: Screen) -> list[dict]:
    """The people on screen: each row is the clickable around a Follow/Following/Friends
    Button below the tabs; its other texts top to bottom are the display name and the
    username (with or without @)."""
    _w, h = screen.size
    out = []
    for button in screen.nodes:
        if button.kind != "Button" or not is_word(button.text, _BUTTON_WORDS, ui.locale):
            continue
        if screen.fraction(button)[1] < 0.12:
            continue
        row = next((a for a in screen.ancestors(button) if a.clickable), None)
        if row is None:
            continue
        texts = sorted((n for n in screen.nodes if n is not button and n.text.strip()
                        and n.kind == "TextView" and row.bounds[1] <= n.center[1] < row.bounds[3]
                        and row.bounds[0] <= n.center[0] < row.bounds[2]),
                       key=lambda n: (n.bounds[1], n.bounds[0]))
        names = [n.text.strip() for n in texts]
        if not names or row.bounds[3] > h + 2:
            continue   # a row cut by the screen's edge is read after the next swipe
        handle = next((t for t in names if t.startswith("@")), names[-1])
        nickname = next((t for t in names if t != handle), "")
        count = next((m.group(1).strip() for t in names
                      for m in [_FOLLOWER_COUNT.search(t)] if m), "")
        out.append({"username": handle.lstrip("@"), "nickname": nickname, "followers": count})
    return out


def read_list(ctx, ui: Ui, screen: Screen, limit: int, what: str) -> list[dict]:
    """Rows in order until `limit`, swiping up; ends when a swipe shows nothing new."""
    found: list[dict] = []
    seen: set[str] = set()
    w, h = ui.screen_size()
    stale = 0
    while len(found) < limit and stale < 2:
        ctx.check()
        new = 0
        for row in rows(ui, screen):
            if row["username"] not in seen and len(found) < limit:
                seen.add(row["username"])
                found.append(row)
                new += 1
        if len(found) >= limit:
            break
        stale = stale + 1 if new == 0 else 0
        ui.swipe(w // 2, int(h * 0.75), w // 2, int(h * 0.35), 400)
        ctx.sleep(0.3)
        screen = ui.look(f"read the {what}")
    ctx.log(f"read {len(found)} {what}")
    return found


def store(ctx, kind: str, target: str, users: list[dict]) -> None:
    """Keep the rows with the task: one `results` log line (JSON) that GET /task/{id} turns
    into `results` (the last line of a run wins)."""
    ctx.log(json.dumps({"scrape_type": kind, "target": target, "users": users},
                       ensure_ascii=False), RESULTS_LEVEL)
