"""The material library (issue 12, TikMatrix's default `material_source`): uploads checked by
content (MP4, JPEG, PNG) and kept in state_dir/materials/ (folder 0700, files 0600, names made by
the hub), the `/material` use cases, and the MaterialLibrary seam the post script picks through.

Request threads call upload/list/get/update/delete; engine workers call pick/used/release. A pick
reserves under the store lock (MaterialRepo.reserve): two posts never get the same material.
"""

from __future__ import annotations

import builtins
import os
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from appliance.domain.tasks import iso
from appliance.errors import BodyTooLarge, InvalidParams, NotFound
from appliance.scripts.material_source import Material, NoMaterial
from appliance.storage import Store

if TYPE_CHECKING:
    from appliance.config import Config

FOLDER = "materials"
CHUNK = 1 << 20
MAX_TAGS, MAX_TAG = 50, 64
SORT_PREFIX = re.compile(r"^sort_(\d{1,9})_(.+)$", re.IGNORECASE | re.DOTALL)
KIND_OF = {"mp4": "video", "jpg": "image", "png": "image"}


def sniff(head: bytes) -> str | None:
    """The format by content: "mp4" (an ftyp box first), "jpg" or "png"; None otherwise."""
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:3] == b"\xff\xd8\xff":
        return "jpg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None


def display_name(name: str) -> str:
    """The client's file name as shown: its last path part, control characters removed."""
    base = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", base).strip()[:255]


def split_sort(name: str) -> tuple[int | None, str]:
    """`sort_12_clip.mp4` -> (12, "clip.mp4"); other names -> (None, name)."""
    match = SORT_PREFIX.match(name)
    return (int(match.group(1)), match.group(2)) if match else (None, name)


def file_name(name: str, fmt: str) -> str:
    """A name made by the hub: random prefix, a safe stem of the client's name, the real type's
    extension. Never a path (no separator, no leading dot, no comma adb could not push)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(name).stem)[:60].strip("_") or "material"
    return f"{secrets.token_hex(6)}-{stem}.{fmt}"


def clean_tags(value: object, field: str = "tags") -> list[str]:
    """Tags from a list or a comma-separated string: trimmed, empty dropped, each once."""
    if value is not None and not isinstance(value, (str, list)):
        raise InvalidParams(f"Invalid parameter {field}: give tags as a comma-separated string "
                            "or a list of strings.", data={"field": field})
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidParams(f"Invalid parameter {field}: tags are text.", data={"field": field})
        tag = item.strip()
        if len(tag) > MAX_TAG or re.search(r"[\x00-\x1f\x7f]", tag):
            raise InvalidParams(f"Invalid parameter {field}: {tag[:20]!r}... a tag is at most "
                                f"{MAX_TAG} characters of text.", data={"field": field})
        if tag and tag.casefold() not in {t.casefold() for t in out}:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise InvalidParams(f"Invalid parameter {field}: at most {MAX_TAGS} tags.",
                            data={"field": field})
    return out


def account_name(value: str | None) -> str | None:
    """`@name` and `name` are the same account; "" is none."""
    name = (value or "").strip().lstrip("@").strip()
    return name or None


def same_account(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


class MaterialService:
    def __init__(self, config: Config, store: Store, clock: Callable[[], datetime]):
        self.store, self.clock = store, clock
        self.folder = Path(config.state_dir) / FOLDER
        # Built at the hub's start, when no upload is in flight: what a crash or power cut left
        # half-received is swept (each could be as large as max_material_bytes).
        for stale in self.folder.glob(".upload-*") if self.folder.is_dir() else ():
            stale.unlink(missing_ok=True)

    # --- files --------------------------------------------------------------------------------

    def _ensure_folder(self) -> Path:
        self.folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.folder, 0o700)
        return self.folder

    def path_of(self, doc: dict[str, Any]) -> Path:
        """The material's file; its stored name is the hub's own, checked again here."""
        name = doc["file"]
        if "/" in name or "\\" in name or name.startswith("."):
            raise NotFound(f"material {doc['id']} has no usable file; delete it and upload "
                           "the file again")
        return self.folder / str(name)

    def receive(self, stream: BinaryIO, limit: int) -> tuple[Path, str, int]:
        """Copy `stream` (at most `limit` bytes) to a private temp file in the library folder and
        check its type by content: (temp path, "mp4"|"jpg"|"png", size). The caller hands it to
        `register` or `discard`."""
        folder = self._ensure_folder()
        tmp = folder / f".upload-{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            size, head = 0, b""
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise BodyTooLarge(f"The file is over the limit of {limit} bytes "
                                           "(setting max_material_bytes); send a smaller file.")
                    if len(head) < 16:
                        head = (head + chunk)[:16]
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            fmt = sniff(head)
            if fmt is None:
                raise InvalidParams("Invalid parameter file: the content is not an MP4 video, a "
                                    "JPEG or a PNG picture (checked by content, not by name).",
                                    data={"field": "file"})
            return tmp, fmt, size
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @staticmethod
    def discard(staged: tuple[Path, str, int] | None) -> None:
        if staged is not None:
            staged[0].unlink(missing_ok=True)

    def register(self, staged: tuple[Path, str, int], name: str, meta: dict[str, Any]) -> dict[str, Any]:
        """The received file as a new material called `name` (`sort_N_` sets its sort number
        unless `meta` gives one); the temp file is moved under a name the hub makes."""
        tmp, fmt, size = staged
        try:
            shown = display_name(name)
            if not shown:
                raise InvalidParams("Invalid parameter name: give the file's name (query ?name= "
                                    "or the multipart file name).", data={"field": "name"})
            sort, rest = split_sort(shown)
            changes = self.checked_meta(meta)
            stored = file_name(rest, fmt)
            os.replace(tmp, self.folder / stored)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        now = iso(self.clock())
        doc = {"name": shown, "file": stored, "format": fmt, "kind": KIND_OF[fmt], "size": size,
               "tags": changes.get("tags", []), "caption": changes.get("caption"),
               "username": changes.get("username"),
               "sort": changes["sort"] if changes.get("sort") is not None else (sort or 0),
               "used": False, "used_at": None, "used_by": None,
               "created_at": now, "updated_at": now}
        try:
            return self._public(self.store.materials.create(doc))
        except BaseException:
            (self.folder / stored).unlink(missing_ok=True)
            raise

    @staticmethod
    def checked_meta(body: dict[str, Any]) -> dict[str, Any]:
        """The settable fields of a material from a validated body (PATCH, upload fields)."""
        changes: dict[str, Any] = {}
        if "tags" in body:
            changes["tags"] = clean_tags(body["tags"])
        if "caption" in body:
            changes["caption"] = body["caption"] or None
        if "username" in body:
            changes["username"] = account_name(body["username"])
        if "sort" in body:
            changes["sort"] = body["sort"]
        return changes

    # --- read -------------------------------------------------------------------------------

    def _public(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = dict(doc)
        out["reserved"] = self.store.materials.is_reserved(doc["id"])
        return out

    def _get(self, material_id: int) -> dict[str, Any]:
        doc = self.store.materials.get(material_id)
        if doc is None:
            raise NotFound(f"There is no material {material_id}; see GET /api/v1/material.",
                           data={"field": "material_id"})
        return doc

    def get(self, material_id: int) -> dict[str, Any]:
        return self._public(self._get(material_id))

    def list(self, query: dict[str, Any]) -> dict[str, Any]:
        """Filtered materials in posting order (sort number, then id), one page."""
        tags = [t.casefold() for t in clean_tags(query.get("tags") or "")]
        user = account_name(query.get("username"))
        docs = []
        for doc in self.store.materials.list():
            if tags and not {t.casefold() for t in doc["tags"]} & set(tags):
                continue
            if user is not None and not same_account(doc.get("username"), user):
                continue
            if query.get("used") is not None and doc["used"] != query["used"]:
                continue
            if query.get("kind") and doc["kind"] != query["kind"]:
                continue
            docs.append(doc)
        docs.sort(key=lambda d: (d["sort"], d["id"]))
        page, size = query.get("page", 1), query.get("page_size", 20)
        chosen = docs[(page - 1) * size: page * size]
        return {"materials": [self._public(d) for d in chosen], "total": len(docs),
                "page": page, "page_size": size}

    # --- write ------------------------------------------------------------------------------

    def update(self, material_id: int, body: dict[str, Any]) -> dict[str, Any]:
        changes = self.checked_meta(body)
        if "used" in body:
            changes["used"] = body["used"]
            if not body["used"]:
                changes.update(used_at=None, used_by=None)
        self._get(material_id)
        changes["updated_at"] = iso(self.clock())
        doc = self.store.materials.update(material_id, changes)
        if doc is None:
            raise NotFound(f"There is no material {material_id}.", data={"field": "material_id"})
        return self._public(doc)

    def delete(self, material_id: int) -> dict[str, Any]:
        def refuse(doc: dict[str, Any]) -> None:
            if self.store.materials.is_reserved(doc["id"]):
                raise InvalidParams(f"Invalid parameter material_id: material {doc['id']} is "
                                    "being posted by a running task; delete it when the task "
                                    "has ended.", data={"field": "material_id"})
        doc = self.store.materials.delete(material_id, refuse)
        if doc is None:
            raise NotFound(f"There is no material {material_id}.", data={"field": "material_id"})
        try:
            self.path_of(doc).unlink(missing_ok=True)
        except (OSError, NotFound):
            pass   # the record is gone; a leftover file holds nothing anyone can pick
        return {"deleted_ids": [material_id]}

    # --- MaterialLibrary (engine workers) -----------------------------------------------------

    def pick(self, *, username: str | None, serial: str, tags: builtins.list[str], count: int,
             kind: str, task_id: int | None) -> builtins.list[Material]:
        want = "video" if kind == "video" else "image"
        user = account_name(username)
        wanted = {t.strip().casefold() for t in tags if t.strip()}

        def choose(free: list[dict[str, Any]]) -> list[dict[str, Any]]:
            fits = [d for d in free if d["kind"] == want
                    and (not wanted or {t.casefold() for t in d["tags"]} & wanted)
                    and (d.get("username") is None or same_account(d["username"], user))
                    and os.path.isfile(self.path_of(d))]
            fits.sort(key=lambda d: (0 if d.get("username") else 1, d["sort"], d["id"]))
            if len(fits) < count:
                what = "video" if want == "video" else "picture"
                for_whom = f" for @{user}" if user else ""
                tagged = f" tagged {', '.join(sorted(wanted))}" if wanted else ""
                raise NoMaterial(f"no unused material in the material library{tagged}{for_whom}: "
                                 f"{len(fits)} unused {what}(s) available, {count} needed; "
                                 "upload more (appliance materials upload, POST "
                                 "/api/v1/material)")
            return fits[:count]

        holder = {"serial": serial, "username": user, "task_id": task_id}
        taken = self.store.materials.reserve(choose, holder)
        return [Material(d["id"], self.path_of(d), d.get("caption"), []) for d in taken]

    def used(self, ids: builtins.list[int]) -> None:
        holder = self.store.materials.holder(ids[0]) if ids else None
        self.store.materials.mark_used(ids, {"used_at": iso(self.clock()), "used_by": holder,
                                             "updated_at": iso(self.clock())})

    def release(self, ids: builtins.list[int]) -> None:
        self.store.materials.release(ids)
