"""`profile`: edit the task account's own profile: name, username, bio, link and photo. The field
names are TikMatrix's desktop client's (`profile_order`, `nicknames`, `usernames`, `bios`,
`link_url`, `avatars_path`); each list takes one line per option (a list of strings works too).

Steps: [photo chosen: pushed to /sdcard/DCIM/hub-<id>/ and media-scanned, as post does] ->
cold-start the app (account switched) -> own profile -> `Edit profile` -> per field: the row whose
label is `Name`/`Username`/`Bio`/`Links` -> the field screen: clear (ADB keyboard), type, `Save`
-> back on Edit profile, the row shows the new value -> photo: `Change photo` -> `Upload photo` ->
the first tile (the pushed photo, newest) -> `Save` -> BACK to the profile. Always: the pushed
photo removed. Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.scripts.accounts import open_own_profile
from appliance.scripts.anchors import match
from appliance.scripts.app_script import AppScript, bad, option_lines
from appliance.scripts.controls import gallery_tiles
from appliance.scripts.media import on_phone
from appliance.scripts.ui import Ui

IMAGE_EXT = (".jpg", ".jpeg", ".png")
_LINES = {"type": ["string", "array"], "maxLength": 100000, "maxItems": 1000,
          "items": {"type": "string", "maxLength": 1000}, "default": ""}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "profile_order": {"enum": ["random", "sequential"], "default": "random",
                          "description": "How each list's option is picked: at random, or "
                                         "the line at profile_index."},
        "profile_index": {"type": "integer", "minimum": 0, "default": 0,
                          "description": "sequential: which line of each list (wraps around)."},
        "nicknames": {**_LINES, "description": "Display names, one per line."},
        "usernames": {**_LINES, "description": "Usernames (with or without @), one per line."},
        "bios": {**_LINES, "description": "Bios, one per line (or a list: line breaks kept)."},
        "link_url": {"type": "string", "maxLength": 2048, "default": "",
                     "description": "The profile's link."},
        "avatars_path": {"type": "string", "maxLength": 4096, "default": "",
                         "description": "A photo (JPG/PNG) or a folder of photos in the hub's "
                                        "media folder; one is picked for the profile photo."},
    },
    "additionalProperties": True,
}

#: config field -> (the Edit profile row's label word, the app's field name in logs)
FIELDS = (("nicknames", "name_field", "name"), ("usernames", "username_field", "username"),
          ("bios", "bio_field", "bio"), ("link_url", "links_field", "link"))


def options(value: str | list[str] | None) -> list[str]:
    if isinstance(value, list):
        return [v for v in value if v.strip()]
    return option_lines(value or "")


def valid_username(name: str) -> bool:
    """TikTok usernames: 2-24 letters, digits, `_` and `.`, not ending with a dot."""
    return 2 <= len(name) <= 24 and all(c.isascii() and (c.isalnum() or c in "._")
                                        for c in name) and not name.endswith(".")


class Profile(AppScript):
    name = "profile"
    schema = SCHEMA

    def __init__(self, media_root: Path | None = None):
        self.media_root = Path(media_root) if media_root is not None else None

    def check(self, config: dict) -> None:
        for name in options(config["usernames"]):
            if not valid_username(name.strip().lstrip("@")):
                raise bad("usernames", f"{name!r} is not a username (2-24 letters, digits, "
                                       "'_' or '.')")
        link = config["link_url"].strip()
        if link and (not link.startswith(("https://", "http://")) or
                     any(ord(c) < 33 for c in link)):
            raise bad("link_url", f"{link[:80]!r} is not a URL")
        if config["avatars_path"]:
            self.photos(config["avatars_path"])
        if not any(options(config[f]) for f in ("nicknames", "usernames", "bios")) and \
                not link and not config["avatars_path"]:
            raise bad("nicknames", "give something to change (nicknames, usernames, bios, "
                                   "link_url or avatars_path)")

    def confine(self, value: str) -> Path:
        """`value` inside the media folder (symlinks followed), else 40001 avatars_path."""
        if self.media_root is None:
            raise bad("avatars_path", "this hub has no media folder configured")
        if "\0" in value:
            raise bad("avatars_path", "the path holds a NUL character")
        root = self.media_root.resolve()
        path = Path(value)
        try:
            real = (path if path.is_absolute() else root / path).resolve()
        except (OSError, RuntimeError):
            raise bad("avatars_path", f"{value!r} cannot be resolved") from None
        if not real.is_relative_to(root):
            raise bad("avatars_path", f"{value!r} is outside the hub's media folder "
                                      "(setting media_dir)")
        return real

    def photos(self, value: str) -> list[Path]:
        real = self.confine(value)
        try:
            found = sorted(p for p in real.iterdir()) if real.is_dir() else [real]
        except OSError:
            raise bad("avatars_path", f"{value!r} cannot be read by the hub") from None
        found = [p for p in found if p.is_file() and p.suffix.lower() in IMAGE_EXT
                 and "," not in p.name and "\n" not in p.name and "\r" not in p.name]
        if not found:
            raise bad("avatars_path", f"{value!r} holds no JPG or PNG photo in the media folder")
        return found

    def pick(self, ctx, choices: list) -> Any:
        if ctx.config["profile_order"] == "sequential":
            return choices[ctx.config["profile_index"] % len(choices)]
        return ctx.random.choice(choices)

    def run(self, ctx) -> str | None:
        cfg = ctx.config
        changes: list[tuple[str, str, str]] = []   # (label word, field, value)
        for key, word, field in FIELDS:
            values = options(cfg[key]) if key != "link_url" else \
                ([cfg[key].strip()] if cfg[key].strip() else [])
            if values:
                value = self.pick(ctx, values)
                value = value.strip().lstrip("@") if field == "username" else value
                changes.append((word, field, value))
        if not cfg["avatars_path"]:
            return self.drive(ctx, lambda ui: edit_profile(ctx, ui, changes, None))
        photo = self.pick(ctx, self.photos(cfg["avatars_path"]))
        with on_phone(ctx, [photo], self.app_package(ctx)):
            return self.drive(ctx, lambda ui: edit_profile(ctx, ui, changes, photo.name))


def _on_edit(ui: Ui):
    return lambda s: ui.find("edit.photo", s) is not None


def edit_profile(ctx, ui: Ui, changes: list[tuple[str, str, str]], photo: str | None) -> str:
    step = "open Edit profile"
    _, screen = open_own_profile(ui, step)
    ui.tap_control("profile.edit", step, screen)
    screen = ui.wait_for(_on_edit(ui), step, timeout=12)
    done = []
    for word, field, value in changes:
        step = f"change the {field}"
        rows = match(screen, {"text": {"exact": word}}, ui.locale)
        if not rows:
            raise ui.failure(step, f"Edit profile shows no {field} row", screen)
        ui.tap(rows[0])
        editing = ui.wait_for(lambda s: ui.find("edit.save", s) is not None
                              and ui.find("edit.field", s) is not None, step, timeout=10)
        ui.tap_control("edit.field", step, editing)
        ctx.sleep(0.2)
        ctx.shell("am broadcast -a ADB_CLEAR_TEXT")
        ui.type_text(value)
        ui.tap_control("edit.save", step, ui.look(step))
        screen = ui.wait_for(_on_edit(ui), step, timeout=10)
        if field != "bio" and not any(n.text == value for n in screen.nodes):
            raise ui.failure(step, f"the app did not take the {field} {value!r} (taken, or "
                                   "changed too recently?)", screen)
        ctx.log(f"{field} set to {value!r}")
        done.append(field)
    if photo is not None:
        step = "change the profile photo"
        ui.tap_control("edit.photo", step, screen)
        sheet = ui.wait_for(lambda s: ui.find("edit.upload", s) is not None, step, timeout=8)
        ui.tap_control("edit.upload", step, sheet)
        grid = ui.wait_for(lambda s: bool(gallery_tiles(s)), step, timeout=12)
        ui.tap(gallery_tiles(grid)[0])
        preview = ui.wait_for(lambda s: ui.find("edit.save", s) is not None, step, timeout=8)
        ui.tap_control("edit.save", step, preview)
        screen = ui.wait_for(_on_edit(ui), step, timeout=12)
        ctx.log(f"profile photo set to {photo}")
        done.append("photo")
    ui.back()
    return "profile updated: " + ", ".join(done) if done else "nothing to change"
