"""JSON Schemas of the Local API's requests and answers, and the OpenAPI 3 document built from them.

Request bodies and query strings are validated against exactly these schemas (domain.schema),
and `GET /api/v1/openapi.json` serves them, so the published contract and the checks are one.
Resource modules of other families add their paths with `add_path`.
Built at start on the main thread (create_app); only read afterwards, by waitress worker threads.
"""

from __future__ import annotations

import copy
from typing import Any

from appliance import __version__

# A JSON Schema (or an OpenAPI object): a JSON object whose values are any JSON values, so their
# type is Any; annotated on the schemas that others spread or index.
Schema = dict[str, Any]

SERIAL = {"type": "string", "pattern": r"^[A-Za-z0-9._:\-]{1,64}$",
          "description": "Device serial as adb shows it (USB serial or host:port)."}
USERNAME = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[^\x00-\x1f]+$"}
TASK_ID = {"type": "integer", "minimum": 1}
MAX_IDS = 1000  # one request may name at most this many devices, accounts or task ids
GROUP_NAME = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[^\x00-\x1f\x7f]+$",
              "description": "A device group's name: unique ignoring case; spaces around it are "
                             "dropped."}
GROUP_FILTER = {"type": "string", "minLength": 1, "maxLength": 64,
                "description": "only the phones now in this device group (its name, ignoring "
                               "case); an unknown group is 40001"}

CREATE_TASK = {
    "type": "object",
    "properties": {
        "serials": {"type": "array", "items": SERIAL, "minItems": 1, "maxItems": MAX_IDS},
        "usernames": {"type": "array", "items": USERNAME, "minItems": 1, "maxItems": MAX_IDS},
        "groups": {"type": "array", "items": GROUP_NAME, "minItems": 1, "maxItems": MAX_IDS,
                   "description": "Extension: device groups (GET /group) whose phones get tasks "
                                  "as if listed in serials. With serials too, the union: each "
                                  "phone once, serials first. Serials mode: combined with "
                                  "usernames it is 40001 naming groups; an unknown group, or "
                                  "one without phones, is 40001 naming it."},
        "script_name": {"type": "string", "minLength": 1, "maxLength": 64},
        "script_config": {"type": "object", "default": {},
                          "description": "The script's options: the schema "
                                         "components.schemas.ScriptConfig.<script_name>."},
        "enable_multi_account": {"type": "boolean", "default": False},
        "min_interval": {"type": "integer", "minimum": 0, "maximum": 86400, "default": 1},
        "max_interval": {"type": "integer", "minimum": 0, "maximum": 86400, "default": 5},
        "start_time": {"type": ["string", "null"], "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                       "description": "HH:MM, 24 h, hub local time: the next such moment."},
    },
    "required": ["script_name"],
    "oneOf": [{"anyOf": [{"required": ["serials"]}, {"required": ["groups"]}]},
              {"required": ["usernames"]}],
    "errorMessage": {"oneOf": "give either serials or usernames (groups add phones to serials)"},
}

TASKS_CREATED = {"type": "object", "properties": {
    "task_ids": {"type": "array", "items": {"type": "integer"}},
    "created_count": {"type": "integer"},
    "unknown_serials": {"type": "array", "items": {"type": "string"},
                        "description": "serials this hub has never seen (their tasks are created "
                                       "all the same and wait, saying so in their remark); with "
                                       "adb disabled, those it never saw while adb was on"},
    "ignored_fields": {"type": "array", "items": {"type": "string"},
                       "description": "Extension: script_config fields that are no option of the "
                                      "script, left out of the tasks (each task's log starts "
                                      "with a warning naming them)"}}}

TASK_IDS = {
    "type": "object",
    "properties": {"task_ids": {"type": "array", "items": TASK_ID, "minItems": 1,
                                "maxItems": MAX_IDS}},
    "required": ["task_ids"],
}

LIST_TASKS_QUERY = {
    "type": "object",
    "properties": {
        "status": {"type": "integer", "enum": [0, 1, 2, 3]},
        "serial": {"type": "string", "maxLength": 64},
        "script_name": {"type": "string", "maxLength": 64},
        "source": {"type": "string", "enum": ["ui", "api", "schedule"]},
        "username": {"type": "string", "maxLength": 64},
        "group": {**GROUP_FILTER, "description": "only tasks of the phones now in this device "
                                                "group (its name, ignoring case); an unknown "
                                                "group is 40001"},
        "page": {"type": "integer", "minimum": 1, "default": 1},
        "page_size": {"type": "integer", "minimum": 1, "default": 20,
                      "description": "1..100; larger values are clamped to 100."},
    },
}

# Device groups (issue 13): /group bodies and the group object.
_GROUP_SERIALS = {"type": "array", "items": SERIAL, "maxItems": MAX_IDS,
                  "description": "phones by serial (each once; they need not be connected)"}
CREATE_GROUP = {"type": "object", "required": ["name"], "properties": {
    "name": GROUP_NAME, "serials": {**_GROUP_SERIALS, "default": []}}}
UPDATE_GROUP = {"type": "object", "properties": {
    "name": GROUP_NAME, "serials": {**_GROUP_SERIALS, "description": "the group's new phones, "
                                                                      "replacing the old ones"}}}
GROUP_SERIALS = {"type": "object", "required": ["serials"], "properties": {
    "serials": {**_GROUP_SERIALS, "minItems": 1}}}
LIST_GROUPS_QUERY = {"type": "object", "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 64,
             "description": "only the group of this name (ignoring case)"}}}
GROUP: Schema = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "serials": {"type": "array", "items": {"type": "string"}},
    "counts": {"type": "object", "description": "its phones, and their pending and running tasks",
               "properties": {k: {"type": "integer"} for k in ("devices", "pending", "running")}},
    "created_at": {"type": "string"}, "updated_at": {"type": "string"}}}

LOG_LINE = {"type": "object", "properties": {
    "ts": {"type": "string"}, "level": {"type": "string"}, "message": {"type": "string"}}}

TASK: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "serial": {"type": "string"},
        "username": {"type": ["string", "null"]}, "script_name": {"type": "string"},
        "script_config": {"type": "object"},
        "status": {"type": "integer", "enum": [0, 1, 2, 3],
                   "description": "0 pending, 1 running, 2 completed, 3 failed"},
        "source": {"type": "string", "enum": ["ui", "api", "schedule"]},
        "min_interval": {"type": "integer"}, "max_interval": {"type": "integer"},
        "start_time": {"type": ["string", "null"]},
        "created_at": {"type": "string"}, "started_at": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"]}, "remark": {"type": "string"},
        "retry_count": {"type": "integer"},
        "schedule_id": {"type": ["integer", "null"],
                        "description": "Extension: the schedule whose firing created the task "
                                       "(source schedule), else null."},
    },
}
TASK_DETAIL = {**TASK, "properties": {**TASK["properties"],
                                      "logs": {"type": "array", "items": LOG_LINE},
                                      "ui_dump": {"type": "string",
                                                  "description": "uiautomator XML of the screen "
                                                                 "when a UI step failed (only "
                                                                 "then present)"},
                                      "results": {"type": "object", "description": "What a "
                                                  "scrape_user task read: scrape_type, target, "
                                                  "users [{username, nickname, followers}] "
                                                  "(only then present)"}}}
STATS = {"type": "object", "properties": {
    k: {"type": "integer"} for k in ("total", "pending", "running", "completed", "failed")}}
LICENSE = {"type": "object", "properties": {
    "plan_name": {"type": "string"}, "api_enabled": {"type": "boolean"},
    "device_limit": {"type": "integer"}, "message": {"type": "string"}}}

ERROR_CODES = {
    40001: "invalid parameters (the message names the field or state)",
    40002: "script_name missing or empty",
    40003: "script not supported via the API (the message lists the supported names)",
    40004: "no matching enabled account",
    40101: "token missing or wrong (requests from outside loopback and trusted networks)",
    40301: "the hub's plan has no API access (Starter)",
    40302: "a feature this hub's configuration turns off (e.g. the device shell API)",
    40401: "not found (task, device, account, route)",
    40501: "method not allowed on this route",
    41301: "request body over the limit",
    50001: "internal error",
    50301: "device or adb server unavailable (offline, unauthorized, lost, adb restarting), or "
           "a UI dump while a playing video keeps the screen from going idle, or every event "
           "stream the setting event_subscribers allows already open",
    50401: "a call on a device did not finish inside its deadline",
}


def envelope(data_schema: dict | None = None) -> dict:
    return {"type": "object", "required": ["code", "message", "data"], "properties": {
        "code": {"type": "integer"}, "message": {"type": "string"},
        "data": data_schema or {}}}


def _openapi_schema(schema: dict) -> dict:
    """JSON Schema 2020-12 as OpenAPI 3.1 accepts it: drop our private keywords. A new top level
    over the same nested parts: the document is built with every app and only read afterwards
    (a deep copy here was a third of building an app)."""
    return {key: value for key, value in schema.items() if key != "errorMessage"}


class OpenApi:
    """The OpenAPI 3.1 document; resource modules add their operations while routes are added.

    Each operation gets an operationId (from its method and path, unless given), `minimum: 1` on
    its id path parameters, an example of its request and of its answer, the links a client
    follows from its answer, and a 503/504 answer where a phone or a limit can be unavailable."""

    def __init__(self) -> None:
        self.paths: dict[str, dict] = {}
        self.schemas: dict[str, dict] = {"Task": TASK, "TaskDetail": TASK_DETAIL}

    def add_schema(self, name: str, schema: dict) -> None:
        """A named schema under components.schemas (e.g. a script's `script_config`)."""
        self.schemas[name] = _openapi_schema(schema)

    def script_body(self, name: str, base: dict, configs: dict[str, dict]) -> dict:
        """The document's form of a body that names a script (POST /task, POST /schedule):
        `base` with `script_name` an enum of the registry's names, and one schema per script,
        discriminated on script_name, whose script_config is that script's own schema
        (components.schemas `ScriptConfig.<name>`). Only the document: requests go on being
        validated against `base`, so an unknown name still answers 40003 listing the names."""
        names = sorted(configs)
        for script in names:
            self.add_schema(f"ScriptConfig.{script}", configs[script])
        self.schemas[name] = {**_openapi_schema(base), "properties": {
            **base["properties"],
            "script_name": {**base["properties"]["script_name"], "enum": names}}}
        mapping = {}
        for script in names:
            ref = mapping[script] = f"#/components/schemas/{name}.{script}"
            self.schemas[ref.rsplit("/", 1)[1]] = {
                "allOf": [{"$ref": f"#/components/schemas/{name}"}],
                "properties": {"script_name": {"const": script},
                               "script_config": {
                                   "$ref": f"#/components/schemas/ScriptConfig.{script}"}},
                # a script with required options needs script_config (its default {} fails)
                "required": ["script_config"] if configs[script].get("required") else []}
        return {"oneOf": [{"$ref": ref} for ref in mapping.values()],
                "discriminator": {"propertyName": "script_name", "mapping": mapping}}

    @staticmethod
    def script_names(base: dict, names: list[str]) -> dict:
        """`base` (a change of something that names a script) with script_name's enum."""
        return {**base, "properties": {
            **base["properties"],
            "script_name": {**base["properties"]["script_name"], "enum": sorted(names)}}}

    def add_path(self, path: str, method: str, summary: str, *, body: dict | None = None,
                 query: dict | None = None, data: dict | None = None,
                 responses: dict | None = None, tag: str = "tasks",
                 operation_id: str | None = None, example: object = None,
                 data_example: object = None, links: dict | None = None,
                 unavailable: tuple[int, ...] | None = None, one_field: bool = False) -> None:
        """One operation. `example`: a request body; `data_example`: the `data` of its success
        answer; `links`: {name: (operationId, {parameter: runtime expression})} followed from
        that answer; `unavailable`: the codes among 50301 (HTTP 503) and 50401 (504) it may
        answer, documented (default: both for the devices tag, else none); `one_field`: the
        hub refuses a body that names none of its fields (40001), so the document says so."""
        success: dict[str, Any] = {"description": "success: code 0",
                                   "content": {"application/json": {"schema": envelope(data)}}}
        if data_example is not None:
            success["content"]["application/json"]["example"] = {
                "code": 0, "message": "success", "data": data_example}
        op: dict[str, Any] = {"summary": summary, "tags": [tag],
                              "operationId": operation_id or _operation_id(method, path),
                              "responses": copy.deepcopy(responses) or {
                                  "200": success,
                                  "default": {"description": "error envelope (see info)",
                                              "content": {"application/json": {
                                                  "schema": envelope()}}}}}
        if links:
            op["responses"]["200"]["links"] = {
                name: {"operationId": target, "parameters": params}
                for name, (target, params) in links.items()}
        if unavailable is None:
            unavailable = (50301, 50401) if tag == "devices" else ()
        for code in unavailable:
            op["responses"].setdefault(str(code // 100), {
                "description": f"{code}: {ERROR_CODES[code]}",
                "content": {"application/json": {"schema": envelope()}}})
        params = [{"name": name, "in": "path", "required": True,
                   "schema": ({"type": "integer", "minimum": 1} if name.endswith("id")
                              else {"type": "string"})}
                  for name in _path_params(path)]
        for name, prop in (query or {}).get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": False,
                           "schema": _openapi_schema(prop)})
        if params:
            op["parameters"] = params
        if body is not None:
            content: dict[str, Any] = {"schema": _openapi_schema(body)}
            if one_field:
                content["schema"]["anyOf"] = [{"required": [name]} for name in body["properties"]]
            if example is not None:
                content["example"] = example
            op["requestBody"] = {"required": True, "content": {"application/json": content}}
        self.paths.setdefault(path, {})[method.lower()] = op

    def document(self) -> dict:
        codes = "\n".join(f"- `{code}`: {text}" for code, text in ERROR_CODES.items())
        return {
            "openapi": "3.1.0",
            "info": {"title": "Phone-array hub: TikMatrix Local API v1", "version": __version__,
                     "description": "Every answer is the envelope {code, message, data}; code 0 "
                                    "is success. Requests from outside loopback need "
                                    "`Authorization: Bearer <token>`.\n\nCodes:\n" + codes},
            "servers": [{"url": "/api/v1"}],
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                           "schemas": self.schemas},
            "security": [{}, {"bearer": []}],
            "paths": self.paths,
        }


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _operation_id(method: str, path: str) -> str:
    """`get /task/{task_id}/retry` -> getTaskByTaskIdRetry: stable, so links can name it."""
    words = []
    for part in path.strip("/").split("/"):
        if part.startswith("{"):
            words.append("By")
            part = part[1:-1]
        words.extend(w.capitalize() for w in part.replace("-", "_").split("_") if w)
    return method.lower() + "".join(words)
