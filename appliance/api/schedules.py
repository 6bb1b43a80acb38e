"""Resources of the `/schedule` family (issue 13): recurring schedules, an extension of the API.

Thin responders on waitress worker threads: parse against the schemas below (also the OpenAPI
document's), call one ScheduleService method, answer in the envelope.
"""

from __future__ import annotations

from appliance.api import schemas
from appliance.api.envelope import ok
from appliance.api.requests import checked, path_id, read_json
from appliance.domain.weekly import TIME_PATTERN, WEEKDAYS
from appliance.services.schedules import MAX_TIMES, NEXT_RUNS, ScheduleService

WEEKDAY = {"anyOf": [{"type": "string", "enum": list(WEEKDAYS)},
                     {"type": "integer", "minimum": 0, "maximum": 6}],
           "errorMessage": {"anyOf": "is not a weekday: use mon..sun, or 0 (Monday) .. 6 (Sunday)"}}
TIME = {"type": "string", "pattern": TIME_PATTERN,
        "errorMessage": {"pattern": "is not a time of day HH:MM (00:00 .. 23:59)"}}
TARGETS = {
    "type": "object",
    "description": "Who gets the tasks of each firing, resolved then as POST /task resolves "
                   "them: exactly one of serials, groups (device groups: their phones at the "
                   "time) or usernames (each account on the phone it is bound to).",
    "properties": {
        "serials": {"type": "array", "items": schemas.SERIAL, "minItems": 1,
                    "maxItems": schemas.MAX_IDS},
        "groups": {"type": "array", "items": schemas.GROUP_NAME, "minItems": 1,
                   "maxItems": schemas.MAX_IDS},
        "usernames": {"type": "array", "items": schemas.USERNAME, "minItems": 1,
                      "maxItems": schemas.MAX_IDS},
    },
    "oneOf": [{"required": ["serials"]}, {"required": ["groups"]}, {"required": ["usernames"]}],
    "errorMessage": {"oneOf": "give exactly one of serials, groups or usernames"},
}
_FIELDS: dict[str, schemas.Schema] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "weekdays": {"type": "array", "items": WEEKDAY, "maxItems": 7,
                 "description": "mon..sun or 0 (Monday) .. 6; empty: every day."},
    "times": {"type": "array", "items": TIME, "minItems": 1, "maxItems": MAX_TIMES,
              "description": "HH:MM, 24 h, in the hub's time zone (the `timezone` setting). A "
                             "time the clock skips (spring forward) fires when it jumps; one it "
                             "shows twice (fall back) fires the first time."},
    "targets": TARGETS,
    "script_name": {"type": "string", "minLength": 1, "maxLength": 64,
                    "description": "Checked at once, as POST /task checks it (40001 here)."},
    "script_config": {"type": "object",
                      "description": "Validated at once by the script, as POST /task does."},
    "enabled": {"type": "boolean", "description": "A disabled schedule never fires."},
}
CREATE_SCHEDULE = {
    "type": "object",
    "properties": {**_FIELDS, "weekdays": {**_FIELDS["weekdays"], "default": []},
                   "script_config": {**_FIELDS["script_config"], "default": {}},
                   "enabled": {**_FIELDS["enabled"], "default": True}},
    "required": ["name", "times", "targets", "script_name"],
}
UPDATE_SCHEDULE = {"type": "object", "properties": _FIELDS}
SCHEDULE = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "weekdays": {"type": "array", "items": {"type": "string"}},
    "times": {"type": "array", "items": {"type": "string"}},
    "targets": {"type": "object"}, "script_name": {"type": "string"},
    "script_config": {"type": "object"}, "enabled": {"type": "boolean"},
    "timezone": {"type": "string", "description": "the hub's zone, in which times are read"},
    "next_run_times": {"type": "array", "items": {"type": "string"},
                       "description": f"the next {NEXT_RUNS} firings (none when disabled)"},
    "last_run_at": {"type": ["string", "null"]},
    "last_error": {"type": ["string", "null"],
                   "description": "why the last firing created no task, else null"},
    "last_task_count": {"type": "integer"},
    "created_at": {"type": "string"}, "updated_at": {"type": "string"}}}

_KNOWN = set(_FIELDS)


def _known(body: dict) -> dict:
    """docs/API.md, Transport: unknown request fields are ignored."""
    return {k: v for k, v in body.items() if k in _KNOWN}


class ScheduleCollection:
    def __init__(self, schedules: ScheduleService, max_body: int):
        self.schedules, self.max_body = schedules, max_body

    def on_get(self, req, resp) -> None:
        ok(resp, self.schedules.list())

    def on_post(self, req, resp) -> None:
        body = _known(read_json(req, self.max_body))
        ok(resp, self.schedules.create(checked(body, CREATE_SCHEDULE)))


class ScheduleItem:
    def __init__(self, schedules: ScheduleService, max_body: int):
        self.schedules, self.max_body = schedules, max_body

    def on_get(self, req, resp, schedule_id: str) -> None:
        ok(resp, self.schedules.get(path_id(schedule_id, "schedule_id")))

    def on_patch(self, req, resp, schedule_id: str) -> None:
        number = path_id(schedule_id, "schedule_id")
        body = _known(read_json(req, self.max_body))
        ok(resp, self.schedules.update(number, checked(body, UPDATE_SCHEDULE)))

    def on_delete(self, req, resp, schedule_id: str) -> None:
        ok(resp, self.schedules.delete(path_id(schedule_id, "schedule_id")))

    def on_post_run(self, req, resp, schedule_id: str) -> None:
        ok(resp, self.schedules.run(path_id(schedule_id, "schedule_id")))


_AT = "2026-05-04T09:30:00+02:00"  # the examples' time
_SCHEDULE_EXAMPLE = {
    "id": 2, "name": "Morning warm-up", "weekdays": ["mon", "fri"], "times": ["09:00"],
    "targets": {"groups": ["Shelf A"]}, "script_name": "account_warmup",
    "script_config": {"task_duration": 600}, "enabled": True, "timezone": "Europe/Paris",
    "next_run_times": ["2026-05-08T09:00:00+02:00", "2026-05-11T09:00:00+02:00"],
    "last_run_at": None, "last_error": None, "created_at": _AT, "updated_at": _AT}


def add_routes(app, services, openapi: schemas.OpenApi, prefix: str) -> None:
    schedules, limit = services.schedules, services.config.max_body_bytes
    app.add_route(prefix + "/schedule", ScheduleCollection(schedules, limit))
    item = ScheduleItem(schedules, limit)
    app.add_route(prefix + "/schedule/{schedule_id}", item)
    app.add_route(prefix + "/schedule/{schedule_id}/run", item, suffix="run")

    listing = {"type": "object", "properties": {
        "schedules": {"type": "array", "items": SCHEDULE}, "total": {"type": "integer"}}}
    deleted = {"type": "object", "properties": {
        "deleted_ids": {"type": "array", "items": {"type": "integer"}}}}
    scripts = {name: services.registry.get(name).schema for name in services.registry.names()}
    create = openapi.script_body("CreateSchedule", CREATE_SCHEDULE, scripts)
    add = openapi.add_path
    add("/schedule", "get", "Recurring schedules (extension), ascending id, each with its next "
        "run times", data=listing, tag="schedules",
        data_example={"schedules": [_SCHEDULE_EXAMPLE], "total": 1})
    add("/schedule", "post", "Create a recurring schedule: at its times on its weekdays it "
        "creates tasks (source schedule, schedule_id set) for its targets",
        body=create, data=SCHEDULE, tag="schedules", data_example=_SCHEDULE_EXAMPLE,
        example={k: _SCHEDULE_EXAMPLE[k] for k in ("name", "weekdays", "times", "targets",
                                                    "script_name", "script_config")},
        links={name: (op, {"schedule_id": "$response.body#/data/id"}) for name, op in (
            ("GetSchedule", "getScheduleByScheduleId"),
            ("RunSchedule", "postScheduleByScheduleIdRun"),
            ("DeleteSchedule", "deleteScheduleByScheduleId"))})
    add("/schedule/{schedule_id}", "get", "One schedule", data=SCHEDULE, tag="schedules",
        data_example=_SCHEDULE_EXAMPLE)
    add("/schedule/{schedule_id}", "patch", "Change a schedule's fields (enabled: false stops "
        "its firings)", body=openapi.script_names(UPDATE_SCHEDULE, list(scripts)),
        data=SCHEDULE, tag="schedules", example={"enabled": False}, one_field=True,
        data_example={**_SCHEDULE_EXAMPLE, "enabled": False, "next_run_times": []})
    add("/schedule/{schedule_id}", "delete", "Delete a schedule (its tasks are kept)",
        data=deleted, tag="schedules", data_example={"deleted_ids": [2]})
    add("/schedule/{schedule_id}/run", "post", "Fire a schedule now, as at one of its times "
        "(40001 if disabled); answers as POST /task", data=schemas.TASKS_CREATED,
        tag="schedules", data_example={"task_ids": [43], "created_count": 1,
                                       "unknown_serials": []},
        links={"GetTask": ("getTaskByTaskId",
                           {"task_id": "$response.body#/data/task_ids/0"})})
