"""`post`: publish a video or photos from the hub's media folder with a (spintax) caption.

Steps: push the media to /sdcard/DCIM/hub-<task id>/ (size checked by the sync protocol, md5
checked on the phone), media-scan each file -> cold-start the app (account switched) -> Create
-> Upload -> pick the files in the gallery in order -> Next -> (Add sound) -> Next -> type the
caption (ADB keyboard: byte for byte) -> Post (or Drafts) -> wait for "Your post is published"
within upload_wait_time -> confirm the post on the own profile -> delete the pushed files.
Media paths are confined to the media folder at validation (40001 names the field).
Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from appliance.devices import quote
from appliance.errors import DeviceCommandFailed
from appliance.scripts.app_script import AppScript, bad, fail, spin
from appliance.scripts.ui import Ui, load_selectors, open_own_profile

VIDEO_EXT = (".mp4", ".mov", ".3gp", ".mkv", ".webm", ".avi")
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".bmp")
MAX_IMAGES = 35
SCAN = "android.intent.action.MEDIA_SCANNER_SCAN_FILE"

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "post script_config",
    "type": "object",
    "properties": {
        "content_type": {"enum": [0, 1, "video", "images"], "default": 0,
                         "description": "0 or \"video\": one video; 1 or \"images\": photos."},
        "image_count": {"type": "integer", "minimum": 0, "maximum": MAX_IMAGES, "default": 0,
                        "description": "Photos per post (images); 0: every listed file."},
        "captions": {"type": "string", "maxLength": 4000, "default": "",
                     "description": "Caption; spintax {a|b|c} picks one variant per task."},
        "post_way": {"enum": ["publish", "draft"], "default": "publish",
                     "description": "Publish the post, or save it to drafts."},
        "material_list": {"type": "array", "maxItems": 100, "default": [],
                          "items": {"type": "string", "minLength": 1, "maxLength": 1024},
                          "description": "Files in the hub's media folder (relative to it)."},
        "material_source": {"enum": ["", "materialList", "localFolder"], "default": "",
                            "description": "localFolder: pick the files from material_path."},
        "material_path": {"type": "string", "maxLength": 1024, "default": "",
                          "description": "A folder inside the media folder (localFolder)."},
        "upload_wait_time": {"type": "number", "minimum": 1, "maximum": 3600, "default": 60,
                             "description": "Seconds to wait for the upload to finish."},
        "sound_wait_time": {"type": "number", "minimum": 0, "maximum": 600, "default": 10,
                            "description": "Seconds to wait in the sound picker (add_sound)."},
        "add_sound": {"type": "boolean", "default": False},
        "add_product_link": {"type": "boolean", "default": False},
        "placement": {"type": "string", "maxLength": 200, "default": ""},
    },
    "additionalProperties": True,
}


def kind_of(config: dict) -> str:
    return "video" if config["content_type"] in (0, "video") else "images"


class Post(AppScript):
    name = "post"
    schema = SCHEMA

    def __init__(self, media_root: Path | None = None):
        self.media_root = Path(media_root) if media_root is not None else None

    # --- validation (request thread and again at run time): pure but for reading the folder --

    def check(self, config: dict) -> None:
        kind = kind_of(config)
        if config["material_source"] == "localFolder":
            folder = self.confine(config["material_path"] or ".", "material_path")
            if not os.path.isdir(folder):   # False, not OSError, for a name too long
                raise bad("material_path", f"{config['material_path']!r} is not a folder "
                                           "in the media folder")
            need = 1 if kind == "video" else max(1, config["image_count"])
            found = self.folder_files(folder, kind)
            if len(found) < need:
                raise bad("material_path", f"{config['material_path']!r} holds {len(found)} "
                                           f"usable {kind} file(s); {need} needed")
            return
        items = config["material_list"]
        if not items:
            raise bad("material_list", "give at least one file of the media folder")
        for i, item in enumerate(items):
            self.media_file(item, f"material_list[{i}]", kind)
        if kind == "images" and config["image_count"] > len(items):
            raise bad("image_count", f"{config['image_count']} photos asked, "
                                     f"{len(items)} listed")

    def confine(self, value: str, field: str) -> Path:
        """`value` (relative to the media folder, or absolute inside it) resolved, symlinks
        followed; anything that lands outside the media folder is 40001 naming `field`."""
        if self.media_root is None:
            raise bad(field, "this hub has no media folder configured")
        if "\0" in value:
            raise bad(field, "the path holds a NUL character")
        root = self.media_root.resolve()
        path = Path(value)
        candidate = path if path.is_absolute() else root / path
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError):
            raise bad(field, f"{value!r} cannot be resolved") from None
        if not real.is_relative_to(root):
            # The folder's own path is the hub's business: the setting names it for the operator.
            raise bad(field, f"{value!r} is outside the hub's media folder (setting media_dir)")
        return real

    def media_file(self, value: str, field: str, kind: str) -> Path:
        real = self.confine(value, field)
        if not os.path.isfile(real):   # False, not OSError, for a name too long
            raise bad(field, f"{value!r} does not exist in the media folder")
        try:
            with real.open("rb") as handle:
                handle.read(1)
        except OSError:
            raise bad(field, f"{value!r} cannot be read") from None
        if "," in real.name or "\n" in real.name or "\r" in real.name:
            raise bad(field, f"{value!r} has a comma or line break in its name, which adb "
                             "cannot push; rename it")
        wanted = VIDEO_EXT if kind == "video" else IMAGE_EXT
        if real.suffix.lower() not in wanted:
            raise bad(field, f"{value!r} is not a {'video' if kind == 'video' else 'photo'} "
                             f"({', '.join(wanted)})")
        return real

    @staticmethod
    def folder_files(folder: Path, kind: str) -> list[Path]:
        wanted = VIDEO_EXT if kind == "video" else IMAGE_EXT
        try:
            return sorted(p for p in folder.iterdir()
                          if os.path.isfile(p) and p.suffix.lower() in wanted
                          and os.access(p, os.R_OK) and "," not in p.name and "\n" not in p.name)
        except OSError:
            raise bad("material_path", f"{folder.name!r} cannot be read by the hub") from None

    # --- running ------------------------------------------------------------------------------

    def choose_media(self, ctx) -> list[Path]:
        cfg, rng = ctx.config, ctx.random
        kind = kind_of(cfg)
        if cfg["material_source"] == "localFolder":
            folder = self.confine(cfg["material_path"] or ".", "material_path")
            pool = self.folder_files(folder, kind)
        else:
            pool = [self.media_file(item, f"material_list[{i}]", kind)
                    for i, item in enumerate(cfg["material_list"])]
        if kind == "video":
            return [rng.choice(pool)]
        count = cfg["image_count"] or min(len(pool), MAX_IMAGES)
        if cfg["material_source"] == "localFolder":
            return rng.sample(pool, count)
        return pool[:count]

    def run(self, ctx) -> str | None:
        media = self.choose_media(ctx)
        remote_dir = f"/sdcard/DCIM/hub-{ctx.task_id}"
        pushed: list[str] = []
        try:
            self.push_media(ctx, media, remote_dir, pushed)
            chosen = [(p.name, p.stat().st_size) for p in media]
            return self.drive(ctx, lambda ui: self.publish(ctx, ui, chosen))
        finally:
            self.clean_up(ctx, remote_dir, pushed)

    def push_media(self, ctx, media: list[Path], remote_dir: str, pushed: list[str]) -> None:
        ctx.shell(f"mkdir -p {quote(remote_dir)}")
        for path in media:
            remote = f"{remote_dir}/{path.name}"
            digest = hashlib.md5(path.read_bytes()).hexdigest()
            ctx.check()
            size = ctx.client.push(ctx.serial, path, remote, timeout=max(10.0, ctx.remaining()),
                                   cancel=ctx.cancel)
            pushed.append(remote)
            out = ctx.shell(f"md5sum {quote(remote)}")
            if out.split()[:1] != [digest]:
                raise DeviceCommandFailed(f"step 'push the media' failed: {path.name} arrived "
                                          f"damaged on phone {ctx.serial} (md5 {out[:40]!r})")
            ctx.shell(f"am broadcast -a {SCAN} -d {quote('file://' + remote)}")
            ctx.log(f"pushed {path.name} ({size} bytes, md5 checked) to {remote} and scanned it")

    def clean_up(self, ctx, remote_dir: str, pushed: list[str]) -> None:
        """Delete the pushed files even when the task was stopped (hence the client directly)."""
        if not pushed:
            return
        try:
            ctx.client.shell(ctx.serial, f"rm -rf {quote(remote_dir)}", timeout=10)
            for remote in pushed:   # the scanner drops entries whose file is gone
                ctx.client.shell(ctx.serial, f"am broadcast -a {SCAN} -d "
                                             f"{quote('file://' + remote)}", timeout=10)
            ctx.log(f"removed the pushed media from {remote_dir}")
        except Exception as exc:  # noqa: BLE001 - a leftover file must not hide the outcome
            ctx.warn(f"could not remove the pushed media from {remote_dir}: {exc}")

    def publish(self, ctx, ui: Ui, media: list[tuple[str, int]]) -> str:
        cfg = ctx.config
        kind = kind_of(cfg)
        caption = spin(cfg["captions"], ctx.random)
        if caption != cfg["captions"]:
            ctx.log(f"caption variant chosen: {caption!r}")
        ui.tap("nav_create", step="open the posting flow")
        ui.tap("upload_button", step="open the gallery")
        ui.tap("gallery_tab_videos" if kind == "video" else "gallery_tab_photos",
               step="open the gallery")
        for name, size in media:
            self.pick(ui, kind, name, size)
        node = ui.wait("gallery_next", step="confirm the chosen media")
        ctx.log(f"chose {len(media)} file(s) in the gallery: {node.text}")
        ui.tap(node)
        ui.wait("edit_next", step="reach the edit screen")
        if cfg["add_sound"]:
            ui.tap("edit_sounds", step="add a sound")
            ctx.sleep(cfg["sound_wait_time"])
            if not ui.exists("edit_next"):
                ui.back()
            ctx.log("opened the sound picker (the app keeps its suggested sound)")
        ui.tap("edit_next", step="leave the edit screen")
        ui.tap("caption_input", step="focus the caption field")
        ui.type_text(caption)
        shown = ui.find("caption_input")
        if shown is not None and " ".join(shown.text.split()) != " ".join(caption.split()):
            ctx.warn(f"the caption field shows {shown.text[:80]!r}")
        if cfg["add_product_link"]:
            ctx.warn("add_product_link: this app version has no product link on the post "
                     "screen; skipped")
        if cfg["placement"]:
            ctx.warn(f"placement {cfg['placement']!r}: not offered by this app version; skipped")
        names = ", ".join(name for name, _ in media)
        if cfg["post_way"] == "draft":
            ui.tap({"id": "drafts_button"}, step="save to drafts")
            ctx.log(f"saved {names} to drafts with caption {caption!r}")
            return f"saved to drafts: {names}"
        ui.tap("post_button", step="publish")
        ctx.log(f"published {names} with caption {caption!r}; waiting for the upload")
        self.wait_upload(ctx, ui, float(cfg["upload_wait_time"]))
        self.confirm(ctx, ui, caption)
        return f"posted {names}" + (f" as @{ctx.username}" if ctx.username else "")

    def pick(self, ui: Ui, kind: str, name: str, size: int) -> None:
        label = "Video" if kind == "video" else "Photo"
        want = {"id": "gallery_item", "desc": f"{label}, {name}, {size} bytes"}
        for _ in range(8):
            screen = ui.dump()
            if ui.dismiss_popups(screen):
                continue
            node = ui.find(want, screen)
            if node is not None:
                ui.tap(node)
                return
            grid = ui.find("gallery_grid", screen)
            if grid is None:
                break
            x1, y1, x2, y2 = grid.bounds
            ui.swipe((x1 + x2) // 2, y2 - 100, (x1 + x2) // 2, y1 + 100, 300)
        raise fail(ui, "pick the media", f"{name} ({size} bytes) is not in the gallery")

    def wait_upload(self, ctx, ui: Ui, limit: float) -> None:
        deadline = time.monotonic() + limit
        last = ""
        while True:
            screen = ui.dump()
            if not ui.dismiss_popups(screen):
                node = ui.find("upload_progress", screen)
                text = node.text if node is not None else ""
                if text and text != last:
                    ctx.log(f"upload: {text}")
                    last = text
                if text == ui_text(ui, "upload_done"):
                    return
            if time.monotonic() >= deadline:
                raise fail(ui, "wait for the upload", f"the upload did not finish within "
                                                      f"{limit:g} s (last seen: {last or 'nothing'})")
            ctx.sleep(0.5)

    def confirm(self, ctx, ui: Ui, caption: str) -> None:
        account = open_own_profile(ui, step="confirm the post")
        screen = ui.last or ui.dump()
        # The grid lists the newest post first (drawing order), unlike find()'s topmost rule.
        node = next((n for n in screen.nodes if n.short_id == "own_video_item"), None)
        if node is None:
            raise fail(ui, "confirm the post", f"@{account}'s profile shows no post")
        want = " ".join(f"Post: {caption[:40]}".split())
        if " ".join(node.desc.split()) != want:
            ctx.warn(f"the newest post on the profile reads {node.desc[:60]!r}")
        else:
            ctx.log(f"confirmed: the post is on @{account}'s profile")


def ui_text(ui: Ui, key: str) -> str:
    return load_selectors("musically").get("texts", {}).get(key, "")
