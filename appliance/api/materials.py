"""Resources of the `/material` family (issue 12): the material library posts pick from.

Thin responders on waitress worker threads: an upload is the raw body (`?name=clip.mp4`) or a
multipart/form-data `file` part, stored by MaterialService (type checked by content); the other
routes list, show, change and delete materials. Answers are the usual envelope.
"""

from __future__ import annotations

from appliance.api import schemas
from appliance.api.envelope import ok
from appliance.api.requests import checked, path_id, read_json, read_query
from appliance.errors import InvalidParams
from appliance.services.materials import MaterialService

# Checked by services.materials.clean_tags, whose sentences say what is wrong with a tag.
TAG_TEXT = r"^[^,\x00-\x1f\x7f]{0,64}(,[^,\x00-\x1f\x7f]{0,64}){0,49}$"
TAG_RULE = "at most 50 comma-separated tags of at most 64 characters, without control characters"
TAGS = {"description": "tags, comma-separated (\"trending, dance\") or a list of strings; "
                       "at most 50 tags of at most 64 characters",
        "type": ["string", "array"], "pattern": TAG_TEXT, "maxItems": 50,
        "errorMessage": {"pattern": TAG_RULE, "maxItems": TAG_RULE},
        "items": {"type": "string", "maxLength": 64, "pattern": r"^[^\x00-\x1f\x7f]*$"}}
CAPTION = {"type": ["string", "null"], "maxLength": 4000,
           "description": "caption override: posted instead of the task's captions"}
USERNAME = {"type": ["string", "null"], "maxLength": 64,
            "description": "bound account (`@name` or `name`): only its posts pick it, first"}
SORT = {"type": "integer", "minimum": 0, "maximum": 999999999,
        "description": "posting order, lowest first (a `sort_N_` file name prefix sets it)"}
UPLOAD_QUERY: schemas.Schema = {"type": "object", "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 255,
             "description": "the file's name (raw-body uploads); `sort_N_name.mp4` sets sort N"},
    "tags": {"type": "string", "pattern": TAG_TEXT, "errorMessage": {"pattern": TAG_RULE},
             "description": TAGS["description"]},
    "caption": {"type": "string", "maxLength": 4000, "description": CAPTION["description"]},
    "username": {"type": "string", "maxLength": 64, "description": USERNAME["description"]},
    "sort": SORT}}
FIELDS: schemas.Schema = {"type": "object", "properties": {
    "tags": TAGS, "caption": CAPTION, "username": USERNAME, "sort": SORT}}
UPDATE = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
    **FIELDS["properties"],
    "used": {"type": "boolean", "description": "false: the library may pick it again"}}}
LIST_QUERY = {"type": "object", "properties": {
    "tags": {"type": "string", "pattern": TAG_TEXT, "errorMessage": {"pattern": TAG_RULE},
             "description": "materials with any of these tags (comma-separated)"},
    "username": {"type": "string", "maxLength": 64, "description": "bound to this account"},
    "used": {"type": "boolean"},
    "kind": {"enum": ["video", "image"]},
    "page": {"type": "integer", "minimum": 1, "default": 1},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}}
MATERIAL = {"type": "object", "properties": {
    "id": {"type": "integer", "minimum": 1}, "name": {"type": "string"},
    "file": {"type": "string", "description": "the stored file's name (made by the hub)"},
    "format": {"enum": ["mp4", "jpg", "png"]}, "kind": {"enum": ["video", "image"]},
    "size": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}},
    "caption": {"type": ["string", "null"]}, "username": {"type": ["string", "null"]},
    "sort": {"type": "integer"}, "used": {"type": "boolean"},
    "used_at": {"type": ["string", "null"]}, "used_by": {"type": ["object", "null"]},
    "reserved": {"type": "boolean", "description": "a running post holds it"},
    "created_at": {"type": "string"}, "updated_at": {"type": "string"}}}
FILE_FIELDS = ("tags", "caption", "username", "sort")


class MaterialCollection:
    def __init__(self, materials: MaterialService, limit: int):
        self.materials, self.limit = materials, limit

    def on_get(self, req, resp) -> None:
        ok(resp, self.materials.list(read_query(req, LIST_QUERY)))

    def on_post(self, req, resp) -> None:
        if (req.content_type or "").lower().startswith("multipart/form-data"):
            ok(resp, self._multipart(req))
            return
        query = read_query(req, UPLOAD_QUERY)
        if "name" not in query:
            raise InvalidParams("Invalid parameter name: give the file's name as ?name=clip.mp4 "
                                "(or upload multipart/form-data with a `file` part).",
                                data={"field": "name"})
        meta = {k: query[k] for k in FILE_FIELDS if k in query}
        staged = self.materials.receive(req.bounded_stream, self.limit)
        ok(resp, self.materials.register(staged, query["name"], meta))

    def _multipart(self, req) -> dict:
        query = read_query(req, UPLOAD_QUERY)
        staged, name = None, query.get("name")
        meta = {k: query[k] for k in FILE_FIELDS if k in query}
        try:
            try:
                for part in req.get_media():
                    if part.name == "file":
                        if staged is not None:
                            raise InvalidParams("Invalid parameter file: one file per upload.",
                                                data={"field": "file"})
                        name = part.filename or name or ""
                        staged = self.materials.receive(part.stream, self.limit)
                    elif part.name in FILE_FIELDS:
                        try:
                            text = part.data.decode("utf-8")
                        except UnicodeDecodeError:
                            raise InvalidParams(f"Invalid parameter {part.name}: the part is not "
                                                "UTF-8 text.", data={"field": part.name}) from None
                        if part.name == "sort":
                            try:
                                meta["sort"] = int(text.strip())
                            except ValueError:
                                raise InvalidParams(f"Invalid parameter sort: {text[:20]!r} is "
                                                    "not an integer.", data={"field": "sort"}
                                                    ) from None
                        else:
                            meta[part.name] = text
            except InvalidParams:
                raise
            except Exception as exc:  # noqa: BLE001 the client's body: falcon's MultipartParseError and friends
                description = getattr(exc, "description", None) or str(exc)
                raise InvalidParams(f"Invalid parameter file: the multipart body cannot be read "
                                    f"({description}).", data={"field": "file"}) from None
            if staged is None:
                raise InvalidParams("Invalid parameter file: send the file as a multipart part "
                                    "named `file`.", data={"field": "file"})
            meta = checked(meta, {**FIELDS, "properties": {
                **FIELDS["properties"], "tags": UPLOAD_QUERY["properties"]["tags"]}})
        except BaseException:
            self.materials.discard(staged)
            raise
        return self.materials.register(staged, name or "", meta)  # the file part set name


class MaterialItem:
    def __init__(self, materials: MaterialService, max_body: int):
        self.materials, self.max_body = materials, max_body

    def on_get(self, req, resp, material_id: str) -> None:
        ok(resp, self.materials.get(path_id(material_id, "material_id")))

    def on_patch(self, req, resp, material_id: str) -> None:
        number = path_id(material_id, "material_id")
        ok(resp, self.materials.update(number, read_json(req, self.max_body, UPDATE)))

    def on_delete(self, req, resp, material_id: str) -> None:
        ok(resp, self.materials.delete(path_id(material_id, "material_id")))


def add_routes(app, services, openapi: schemas.OpenApi, prefix: str) -> None:
    materials, limit = services.materials, services.config.max_body_bytes
    app.add_route(prefix + "/material",
                  MaterialCollection(materials, services.config.max_material_bytes))
    app.add_route(prefix + "/material/{material_id}", MaterialItem(materials, limit))

    listing = {"type": "object", "properties": {
        "materials": {"type": "array", "items": MATERIAL}, "total": {"type": "integer"},
        "page": {"type": "integer"}, "page_size": {"type": "integer"}}}
    deleted = {"type": "object", "properties": {
        "deleted_ids": {"type": "array", "items": {"type": "integer"}}}}
    add = openapi.add_path
    add("/material", "get", "The material library (extension; TikMatrix's default post source), "
        "filtered, in posting order (sort, then id)", query=LIST_QUERY, data=listing,
        tag="materials")
    add("/material", "post", "Upload a material: the raw body with ?name=clip.mp4, or "
        "multipart/form-data with a `file` part (and tags, caption, username, sort parts). "
        "MP4, JPEG or PNG, checked by content; at most max_material_bytes", query=UPLOAD_QUERY,
        data=MATERIAL, tag="materials")
    add("/material/{material_id}", "get", "One material", data=MATERIAL, tag="materials")
    add("/material/{material_id}", "patch", "Change a material's tags, caption override, bound "
        "account, sort number or used mark", body=UPDATE, data=MATERIAL, tag="materials")
    add("/material/{material_id}", "delete", "Delete a material and its file (refused while a "
        "running post holds it)", data=deleted, tag="materials")
    openapi.paths["/material"]["post"]["requestBody"] = {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"}, "tags": {"type": "string"},
            "caption": {"type": "string"}, "username": {"type": "string"},
            "sort": {"type": "integer"}}}}}}
