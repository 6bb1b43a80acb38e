"""Where a post's media come from (TikMatrix's `material_list`, `material_source`): the Material a
post publishes, the MaterialSource seam the post script picks through, and `HubMaterials`, the
hub's source: a listed file, a `localFolder` (`@username/` subfolders, caption.txt,
sound_names.txt) or the material library (services.materials, behind the MaterialLibrary seam).

Engine worker threads call `pick`/`used`/`release` (one post each); request threads call
`HubMaterials.check` at validation. Paths are always confined to the hub's media folder.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Protocol

from appliance.errors import ApplianceError, InvalidParams

VIDEO_EXT = (".mp4", ".mov", ".3gp", ".mkv", ".webm", ".avi")
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".bmp")
CAPTION_FILE, SOUNDS_FILE = "caption.txt", "sound_names.txt"
LIBRARY, LOCAL_FOLDER = "materialLibrary", "localFolder"
MAX_IMAGES = 35   # photos in one post; `count` 0 asks for every usable file up to this


class NoMaterial(ApplianceError):
    """Nothing left to post (the task's remark): every matching material is used or taken."""


@dataclass
class Material:
    """One file to post: `id` is the library's (None for a listed or folder file)."""

    id: int | None
    path: Path
    caption: str | None = None
    sound_names: list[str] = field(default_factory=list)


class MaterialSource(Protocol):
    """What the post script picks its media through."""

    def pick(self, *, source: str, username: str | None, serial: str, tags: list[str],
             material_list: list[str], folder: str | None, count: int, kind: str,
             rng: random.Random, task_id: int | None = None) -> list[Material]:
        """`count` files of `kind` ("video" or "images"); NoMaterial (a sentence) when there
        are not enough, InvalidParams naming the field for a bad path."""

    def used(self, materials: list[Material]) -> None:
        """After a successful post: library materials are never picked again."""

    def release(self, materials: list[Material]) -> None:
        """After a failed post: the picked library materials may be picked again."""


class MaterialLibrary(Protocol):
    """The library's side (services.materials.MaterialService)."""

    def pick(self, *, username: str | None, serial: str, tags: list[str], count: int,
             kind: str, task_id: int | None) -> list[Material]: ...

    def used(self, ids: list[int]) -> None: ...

    def release(self, ids: list[int]) -> None: ...


def bad(field_name: str, message: str) -> InvalidParams:
    return InvalidParams(f"Invalid parameter script_config.{field_name}: {message}.",
                         data={"field": f"script_config.{field_name}"})


def pc_path_name(value: str) -> str:
    """TikMatrix runs on a PC and its examples name files there (`C:/Videos/a.mp4`); on the hub
    such a path stands for the file or folder of that name in the media folder, where the
    operator copies them. Any other value is returned as it is."""
    if len(value) > 2 and value[1] == ":" and value[0].isalpha() and value[2] in "/\\":
        return PureWindowsPath(value).name or "."
    return value


def confine(root: Path | None, value: str, field_name: str) -> Path:
    """`value` (relative to the media folder, absolute inside it, or a PC path: pc_path_name)
    resolved, symlinks followed; anything outside the media folder is 40001 naming
    `field_name`."""
    if root is None:
        raise bad(field_name, "this hub has no media folder configured")
    if "\0" in value:
        raise bad(field_name, "the path holds a NUL character")
    base = root.resolve()
    path = Path(pc_path_name(value))
    candidate = path if path.is_absolute() else base / path
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError):
        raise bad(field_name, f"{value!r} cannot be resolved") from None
    if not real.is_relative_to(base):
        raise bad(field_name, f"{value!r} is outside the hub's media folder (setting media_dir)")
    return real


def usable(path: Path, kind: str) -> bool:
    wanted = VIDEO_EXT if kind == "video" else IMAGE_EXT
    return (os.path.isfile(path) and path.suffix.lower() in wanted and os.access(path, os.R_OK)
            and "," not in path.name and "\n" not in path.name and "\r" not in path.name)


def folder_files(folder: Path, kind: str) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if usable(p, kind))
    except OSError:
        raise bad("material_path", f"{folder.name!r} cannot be read by the hub") from None


def text_lines(path: Path) -> list[str]:
    """Non-empty stripped lines of a small text file; [] when there is none."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(256 * 1024)
    except OSError:
        return []
    return [line.strip() for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]


def account_folder(folder: Path, username: str | None) -> Path | None:
    """`folder/@username` when it exists (the account's own media), confined to `folder`."""
    name = (username or "").strip().lstrip("@")
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        return None
    sub = folder / f"@{name}"
    try:
        real = sub.resolve()
    except (OSError, RuntimeError):
        return None
    return real if real.is_relative_to(folder) and real.is_dir() else None


class HubMaterials:
    """The hub's MaterialSource: `material_list` wins when given, else `material_source`."""

    def __init__(self, media_root: Path | None, library: MaterialLibrary | None = None):
        self.media_root = Path(media_root) if media_root is not None else None
        self.library = library

    def folder(self, value: str | None) -> Path:
        folder = confine(self.media_root, value or ".", "material_path")
        if not os.path.isdir(folder):
            raise bad("material_path", f"{value!r} is not a folder in the media folder")
        return folder

    def local_pool(self, folder: Path, username: str | None, kind: str) -> tuple[Path, list[Path]]:
        """The account's `@username/` subfolder when it has usable files, else the folder."""
        own = account_folder(folder, username)
        if own is not None:
            files = folder_files(own, kind)
            if files:
                return own, files
        return folder, folder_files(folder, kind)

    def pick(self, *, source: str, username: str | None, serial: str, tags: list[str],
             material_list: list[str], folder: str | None, count: int, kind: str,
             rng: random.Random, task_id: int | None = None) -> list[Material]:
        if material_list:
            pool = self.listed(material_list, kind)
            chosen = [rng.choice(pool)] if kind == "video" else pool[:count or MAX_IMAGES]
            return [Material(None, path) for path in chosen]
        if source == LOCAL_FOLDER:
            return self.from_folder(folder, username, count, kind, rng)
        if self.library is None:
            raise NoMaterial("no material library on this hub: give material_list or use "
                             "material_source localFolder")
        return self.library.pick(username=username, serial=serial, tags=tags, count=max(1, count),
                                 kind=kind, task_id=task_id)

    def listed(self, items: list[str], kind: str) -> list[Path]:
        out = []
        for i, item in enumerate(items):
            real = confine(self.media_root, item, f"material_list[{i}]")
            if not usable(real, kind):
                raise bad(f"material_list[{i}]", f"{item!r} is not a readable "
                                                  f"{'video' if kind == 'video' else 'photo'} "
                                                  "in the media folder")
            out.append(real)
        return out

    def from_folder(self, value: str | None, username: str | None, count: int, kind: str,
                    rng: random.Random) -> list[Material]:
        base = self.folder(value)
        where, pool = self.local_pool(base, username, kind)
        count = count or max(1, min(len(pool), MAX_IMAGES))
        if len(pool) < count:
            raise NoMaterial(f"no unused material: the folder {value or '.'!r} holds "
                             f"{len(pool)} usable {kind} file(s) for this post; {count} needed")
        chosen = rng.sample(pool, count)
        captions = text_lines(where / CAPTION_FILE) or (
            text_lines(base / CAPTION_FILE) if where != base else [])
        sounds = text_lines(where / SOUNDS_FILE) or (
            text_lines(base / SOUNDS_FILE) if where != base else [])
        caption = rng.choice(captions) if captions else None
        return [Material(None, path, caption, list(sounds)) for path in chosen]

    def used(self, materials: list[Material]) -> None:
        ids = [m.id for m in materials if m.id is not None]
        if ids and self.library is not None:
            self.library.used(ids)

    def release(self, materials: list[Material]) -> None:
        ids = [m.id for m in materials if m.id is not None]
        if ids and self.library is not None:
            self.library.release(ids)


def tags_of(value: str | Iterable[object] | None) -> list[str]:
    """`materials_tags` as TikMatrix documents it ("trending, dance") or as a list."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [str(t).strip() for t in items if str(t).strip()]


def caption_for(materials: list[Material], captions: str) -> str:
    """The caption to post: a library material's caption override wins; a folder's caption.txt
    line is used when the task gives no caption."""
    first = materials[0] if materials else None
    if first is None or not first.caption:
        return captions
    return first.caption if first.id is not None or not (captions or "").strip() else captions


def most_in_folder(folder: Path, kind: str) -> int:
    """The most usable files one post could find in `folder`: its own, or an `@username/`
    subfolder's (checked at validation, when the posting account may not be known yet)."""
    counts = [len(folder_files(folder, kind))]
    try:
        subs = [p for p in folder.iterdir() if p.name.startswith("@")]
    except OSError:
        subs = []
    for sub in subs:
        own = account_folder(folder, sub.name)
        if own is not None:
            counts.append(len(folder_files(own, kind)))
    return max(counts)
