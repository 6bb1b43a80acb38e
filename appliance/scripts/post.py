"""`post`: publish a video or photos from the hub's media folder with a (spintax) caption.

Steps: media.py pushes the files (md5 checked), touches and indexes them so the first file is
the newest -> cold-start the app (account switched) -> post_flow.py picks them in the gallery,
types the caption and posts (or saves a draft) -> the pushed files are deleted (even when the
task was stopped). Media paths are confined to the media folder at validation (40001).
Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

import os
from pathlib import Path

from appliance.scripts.app_script import AppScript, bad
from appliance.scripts.media import clean_up, pregrant, push, touch_and_scan
from appliance.scripts.post_flow import publish

VIDEO_EXT = (".mp4", ".mov", ".3gp", ".mkv", ".webm", ".avi")
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".bmp")
MAX_IMAGES = 35

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
            package = (self.package_of(ctx.username) if ctx.username and self.package_of
                       else None) or self.package
            pregrant(ctx, package)
            push(ctx, media, remote_dir, pushed)
            touch_and_scan(ctx, pushed)
            names = [p.name for p in media]
            return self.drive(ctx, lambda ui: publish(ctx, ui, names))
        finally:
            clean_up(ctx, remote_dir, pushed)
