"""A post's media, from the request to the phone and back: checks `material_source`,
`material_list` and `material_path` at validation (40001 naming the field, paths confined to the
media folder), picks the files through the MaterialSource seam, pushes them (media.py) and settles
them after the post (library materials used on success, released on failure).
Request threads call `check`; the task's engine worker thread calls `staged`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.scripts.material_source import (
    IMAGE_EXT,
    VIDEO_EXT,
    HubMaterials,
    Material,
    MaterialSource,
    bad,
    caption_for,
    confine,
    most_in_folder,
    tags_of,
)
from appliance.scripts.media import on_phone

if TYPE_CHECKING:
    from appliance.scripts.context import ScriptContext


def kind_of(config: dict[str, Any]) -> str:
    """"video" or "images", from `content_type`."""
    return "video" if config["content_type"] in (0, "video") else "images"


@dataclass
class Staged:
    """The media of one post while they are on the phone."""

    materials: list[Material]
    names: list[str]      # the files' names, as the gallery shows them
    pushed: list[str]     # their paths on the phone


class PostMedia:
    """Checks, picks, pushes and settles the media of the post script."""

    def __init__(self, media_root: Path | None, source: MaterialSource | None = None) -> None:
        self.media_root = Path(media_root) if media_root is not None else None
        # Wiring (scripts.default_registry) gives a source that knows the material library.
        self.source: MaterialSource = source if source is not None else HubMaterials(self.media_root)

    # --- validation (request thread and again at run time): pure but for reading the folder --

    def check(self, config: dict[str, Any]) -> None:
        kind = kind_of(config)
        if config["material_source"] == "localFolder":
            folder = self.confine(config["material_path"] or ".", "material_path")
            if not os.path.isdir(folder):   # False, not OSError, for a name too long
                raise bad("material_path", f"{config['material_path']!r} is not a folder "
                                           "in the media folder")
            need = 1 if kind == "video" else max(1, config["image_count"])
            found = most_in_folder(folder, kind)   # its files or an @username/ subfolder's
            if found < need:
                raise bad("material_path", f"{config['material_path']!r} holds {found} "
                                           f"usable {kind} file(s); {need} needed")
            return
        items = config["material_list"]
        if not items and config["material_source"] == "materialLibrary":
            return   # picked at run time; none left fails the task with a remark saying so
        if not items:
            raise bad("material_list", "give at least one file of the media folder")
        for i, item in enumerate(items):
            self.media_file(item, f"material_list[{i}]", kind)
        if kind == "images" and config["image_count"] > len(items):
            raise bad("image_count", f"{config['image_count']} photos asked, "
                                     f"{len(items)} listed")

    def confine(self, value: str, field: str) -> Path:
        """`value` resolved inside the media folder (material_source.confine), else 40001."""
        return confine(self.media_root, value, field)

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

    # --- running (the task's worker thread) ---------------------------------------------------

    def choose(self, ctx: ScriptContext) -> list[Material]:
        cfg = ctx.config
        kind = kind_of(cfg)
        return self.source.pick(
            source=cfg["material_source"], username=ctx.username, serial=ctx.serial,
            tags=tags_of(cfg.get("materials_tags")), material_list=cfg["material_list"],
            folder=cfg["material_path"], count=1 if kind == "video" else cfg["image_count"],
            kind=kind, rng=ctx.random, task_id=ctx.task_id)

    @contextmanager
    def staged(self, ctx: ScriptContext, package: str) -> Iterator[Staged]:
        """Pick the media (the task's caption filled from them when it has none), push them for
        `package`, yield them; removed from the phone however the block ends, then marked used
        (never picked again) when it ended normally, released when it raised."""
        materials = self.choose(ctx)
        ctx.config["captions"] = caption_for(materials, ctx.config["captions"])
        media = [m.path for m in materials]
        try:
            with on_phone(ctx, media, package) as pushed:
                yield Staged(materials, [p.name for p in media], pushed)
                self.source.used(materials)
        except BaseException:
            self.source.release(materials)
            raise
