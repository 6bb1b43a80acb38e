"""`follow` and `unfollow`: open a user's profile (deep link or search) and press Follow, or
Following -> Unfollow. One task per target per phone (CONTRACT), so each run has one target.

Steps: cold-start the app (account switched) -> direct: `am start -d https://www.tiktok.com/@user`
| search: Home -> Search -> type the name -> Users tab -> the exact @user -> the profile shows
@user -> read the button: already in the wanted state completes with a remark saying so; else
tap (and confirm the unfollow dialog) -> wait until the button shows the new state.
Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

from urllib.parse import quote as url_quote

from appliance.scripts.app_script import AppScript, bad, fail, split_targets
from appliance.scripts.ui import Ui

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "target_users": {"type": "array", "maxItems": 1000, "default": [],
                         "items": {"type": "string", "minLength": 1, "maxLength": 100},
                         "description": "Usernames (with or without @)."},
        "target_user": {"type": "string", "maxLength": 100000, "default": "",
                        "description": "Usernames separated by newlines or commas."},
        "access_method": {"enum": ["direct", "search"], "default": "direct",
                          "description": "direct: open the profile by deep link; search: find "
                                         "it through the app's search."},
    },
    "additionalProperties": True,
}


def targets(config: dict) -> list[str]:
    return [t.lstrip("@") for t in split_targets(config["target_users"], config["target_user"])
            if t.lstrip("@")]


class _FollowBase(AppScript):
    schema = SCHEMA
    follow = True

    def check(self, config: dict) -> None:
        names = targets(config)
        if not names:
            raise bad("target_users", "give at least one username (target_users or target_user)")
        for name in names:
            if any(ch in name for ch in "/?#\x00") or any(ord(ch) < 32 for ch in name):
                raise bad("target_users", f"{name!r} is not a username")

    def fanout(self, config: dict) -> list[dict]:
        return [{**config, "target_users": [name], "target_user": name}
                for name in targets(config)]

    def act(self, ctx, ui: Ui) -> str:
        remarks = [self.one(ctx, ui, name) for name in targets(ctx.config)]
        return "; ".join(remarks)

    def one(self, ctx, ui: Ui, user: str) -> str:
        open_profile(ctx, ui, user, ctx.config["access_method"])
        button = ui.wait("profile_follow_button", step=f"read the follow button of @{user}")
        following = button.selected or button.text == "Following"
        who = f"@{ctx.username} " if ctx.username else ""
        if following == self.follow:
            state = "already following" if self.follow else "not following"
            ctx.log(f"{who}{state} @{user}: nothing to do")
            return f"{state} @{user}"
        if self.follow:
            ui.tap(button)
            step = f"follow @{user}"
        else:
            ui.tap(button)
            ui.tap("dialog_confirm", step=f"confirm the unfollow of @{user}")
            step = f"unfollow @{user}"
        ui.wait({"id": "profile_follow_button", "selected": self.follow}, timeout=10, step=step)
        verb = "followed" if self.follow else "unfollowed"
        ctx.log(f"{who}{verb} @{user}")
        return f"{verb} @{user}"


def open_profile(ctx, ui: Ui, user: str, method: str) -> None:
    shown = {"id": "profile_username", "text": f"@{user}"}
    if method == "direct":
        url = "https://www.tiktok.com/@" + url_quote(user, safe="._-")
        ctx.log(f"opening {url}")
        ui.open_url(url)
        ui.wait(shown, timeout=15, step=f"open the profile of @{user}")
        return
    ctx.log(f"searching for @{user}")
    ui.tap("home_tab", step="go to the feed")
    ui.tap("feed_search", step="open search")
    ui.tap("search_input", step="focus the search box")
    ui.type_text(user)
    ui.tap("search_button", step="run the search")
    ui.tap("search_tab_users", step="show the users found")
    item = ui.wait([{"id": "search_user_item", "desc": f"@{user}"}, {"id": "search_empty"}],
                   step=f"find @{user} in the results")
    if item.short_id != "search_user_item":
        raise fail(ui, f"find @{user} in the results", f"the search found no user @{user}")
    ui.tap(item)
    ui.wait(shown, timeout=15, step=f"open the profile of @{user}")


class Follow(_FollowBase):
    name = "follow"
    follow = True


class Unfollow(_FollowBase):
    name = "unfollow"
    follow = False
