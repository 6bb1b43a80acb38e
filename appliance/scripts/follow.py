"""`follow` and `unfollow`: open a user's profile (deep link or search) and press Follow, or
Following -> Unfollow. One task per target per phone (docs/API.md, Fan-out), so each run has one target.

Steps: cold-start the app (account switched) -> direct: `am start -d https://www.tiktok.com/@user`
| search: Home -> Search -> type the name -> submit -> Users tab -> the row showing @user -> the
profile whose @handle is @user -> its Follow/Following/Friends Button: already in the wanted
state completes saying so; else tap (unfollow: `Unfollow` in the sheet) -> wait for the new state.
Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

from urllib.parse import quote as url_quote

from appliance.domain.fanout import account_name
from appliance.scripts.accounts import go_home
from appliance.scripts.anchors import is_word, match
from appliance.scripts.app_script import AppScript, bad, split_targets
from appliance.scripts.ui import Ui

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "target_users": {"type": "array", "maxItems": 1000, "default": [],
                         "items": {"type": "string", "minLength": 1, "maxLength": 100},
                         "description": "Usernames (with or without @)."},
        "target_user": {"type": "string", "maxLength": 100000, "default": "",
                        "description": "Usernames separated by newlines or commas; used when "
                                       "target_users is empty (the list wins)."},
        "target_username": {"type": "string", "maxLength": 100000, "default": "",
                            "description": "As target_user (the name TikMatrix's API examples "
                                           "page uses); used when both others are empty."},
        "access_method": {"enum": ["direct", "search"], "default": "direct",
                          "description": "direct: open the profile by deep link; search: find "
                                         "it through the app's search."},
    },
    "additionalProperties": True,
}


def targets(config: dict) -> list[str]:
    """The usernames to act on, `@` dropped, each once: target_users if it names any, else
    target_user, else target_username (TikMatrix: the list takes priority)."""
    for items, text in ((config["target_users"], ""), ([], config["target_user"]),
                        ([], config.get("target_username", ""))):
        names = [account_name(t) for t in split_targets(items, text)]
        names = [n for n in dict.fromkeys(names) if n]
        if names:
            return names
    return []


def check_targets(config: dict) -> list[str]:
    """The usernames to act on (targets), each a plausible username, else 40001."""
    names = targets(config)
    if not names:
        raise bad("target_users", "give at least one username (target_users or target_user)")
    for name in names:
        if any(ch in name for ch in "/?#\x00") or any(ord(ch) < 32 for ch in name):
            raise bad("target_users", f"{name!r} is not a username")
    return names


class _FollowBase(AppScript):
    schema = SCHEMA
    follow = True

    def check(self, config: dict) -> None:
        check_targets(config)

    def fanout(self, config: dict) -> list[dict]:
        rest = {k: v for k, v in config.items() if k != "target_username"}
        return [{**rest, "target_users": [name], "target_user": name} for name in targets(config)]

    def act(self, ctx, ui: Ui) -> str:
        remarks = [self.one(ctx, ui, name) for name in targets(ctx.config)]
        return "; ".join(remarks)

    def one(self, ctx, ui: Ui, user: str) -> str:
        screen = open_profile(ctx, ui, user, ctx.config["access_method"])
        step = f"read the follow button of @{user}"
        button = ui.need("profile.action", step, screen)
        following = is_following(ui, button.text)
        who = f"@{ctx.username} " if ctx.username else ""
        if following == self.follow:
            state = "already following" if self.follow else "not following"
            ctx.log(f"{who}{state} @{user}: nothing to do (the button reads {button.text!r})")
            return f"{state} @{user}"
        step = f"{'follow' if self.follow else 'unfollow'} @{user}"
        ui.tap(button)
        if not self.follow:
            sheet = ui.wait_for(lambda s: ui.find("profile.unfollow", s) is not None, step,
                                timeout=8)
            ui.tap_control("profile.unfollow", step, sheet)

        def changed(s) -> bool:
            node = ui.find("profile.action", s) if s.name == "profile" else None
            return node is not None and is_following(ui, node.text) == self.follow

        screen = ui.wait_for(changed, step, timeout=12)
        now = ui.find("profile.action", screen)
        verb = "followed" if self.follow else "unfollowed"
        ctx.log(f"{who}{verb} @{user} (the button now reads {now.text if now else '?'!r})")
        return f"{verb} @{user}"


def is_following(ui: Ui, text: str) -> bool:
    """`Following` or `Friends` (mutual) count as following."""
    return is_word(text, ["following", "friends_state"], ui.locale)


def shows_user(ui: Ui, user: str):
    def test(screen) -> bool:
        handle = ui.find("profile.handle", screen) if screen.name == "profile" else None
        return handle is not None and handle.text.strip().lower() == f"@{user}".lower()
    return test


def open_profile(ctx, ui: Ui, user: str, method: str):
    """The profile of @user (its @handle text equals @user), by deep link or by search."""
    step = f"open the profile of @{user}"
    if method == "direct":
        url = "https://www.tiktok.com/@" + url_quote(user, safe="._-")
        ctx.log(f"opening {url}")
        ui.open_url(url)
        return ui.wait_for(shows_user(ui, user), step, timeout=20)
    ctx.log(f"searching for @{user}")
    go_home(ui, "go to the feed")
    ui.search(user)
    find = f"find @{user} in the results"
    screen = ui.wait_for(lambda s: ui.find("search.users_tab", s) is not None, find, timeout=12)
    ui.tap_control("search.users_tab", find, screen)
    wanted = f"@{user}".lower()

    def row_or_empty(s) -> bool:
        return any(n.text.strip().lower() == wanted for n in s.nodes) or \
            bool(match(s, {"text": {"exact": "no_results"}}, ui.locale))

    screen = ui.wait_for(row_or_empty, find, timeout=12)
    handle = next((n for n in screen.nodes if n.text.strip().lower() == wanted), None)
    if handle is None:
        raise ui.failure(find, f"the search found no user @{user}; check the name", screen)
    row = next((a for a in screen.ancestors(handle) if a.clickable), handle)
    ui.tap(row)
    return ui.wait_for(shows_user(ui, user), step, timeout=15)


class Follow(_FollowBase):
    name = "follow"
    follow = True


class Unfollow(_FollowBase):
    name = "unfollow"
    follow = False
