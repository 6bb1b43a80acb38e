"""Resources of the `/task` family (docs/API.md, Tasks): parse, call one TaskService method, answer.

Runs on waitress worker threads; no state of its own (stop and delete may wait, bounded, for
the engine to end a running task)."""

from __future__ import annotations

from appliance.api import schemas
from appliance.api.envelope import ok
from appliance.api.middleware import OPERATOR_PREFIX
from appliance.api.protocols import Tasks
from appliance.api.requests import checked, path_id, read_json, read_query
from appliance.services.tasks import require_one_mode, require_script_name


class TaskCollection:
    def __init__(self, tasks: Tasks, max_body: int, source: str = "api"):
        # "api" on the Local API; "ui" on the operator's surface (console, admin CLI), as
        # TikMatrix marks the tasks its own UI creates.
        self.tasks, self.max_body, self.source = tasks, max_body, source

    def on_post(self, req, resp) -> None:
        body = read_json(req, self.max_body)
        # docs/API.md gives a missing script_name its own code (40002): look before the schema.
        require_script_name(body)
        require_one_mode(body)
        ok(resp, self.tasks.create(checked(body, schemas.CREATE_TASK), source=self.source))

    def on_get(self, req, resp) -> None:
        ok(resp, self.tasks.list(read_query(req, schemas.LIST_TASKS_QUERY)))


class TaskItem:
    def __init__(self, tasks: Tasks):
        self.tasks = tasks

    def on_get(self, req, resp, task_id: str) -> None:
        ok(resp, self.tasks.get(path_id(task_id)))

    def on_delete(self, req, resp, task_id: str) -> None:
        ok(resp, self.tasks.delete(path_id(task_id)))

    def on_post_stop(self, req, resp, task_id: str) -> None:
        ok(resp, self.tasks.stop(path_id(task_id)))

    def on_post_retry(self, req, resp, task_id: str) -> None:
        ok(resp, self.tasks.retry(path_id(task_id)))


class TaskBatch:
    def __init__(self, tasks: Tasks, max_body: int):
        self.tasks, self.max_body = tasks, max_body

    def on_delete(self, req, resp) -> None:
        body = read_json(req, self.max_body, schemas.TASK_IDS)
        ok(resp, self.tasks.delete_many(body["task_ids"]))


class TaskRetryAll:
    def __init__(self, tasks: Tasks):
        self.tasks = tasks

    def on_post(self, req, resp) -> None:
        ok(resp, self.tasks.retry_all())


class TaskStats:
    def __init__(self, tasks: Tasks):
        self.tasks = tasks

    def on_get(self, req, resp) -> None:
        ok(resp, self.tasks.stats())


_TASK_EXAMPLE = {"id": 42, "serial": "R58M12345AB", "username": None, "script_name": "follow",
                 "script_config": {"target_users": ["user2"]}, "status": 0, "source": "api",
                 "min_interval": 2, "max_interval": 8, "start_time": None,
                 "created_at": "2026-05-04T09:30:00+02:00", "started_at": None,
                 "finished_at": None, "remark": "", "retry_count": 0, "schedule_id": None}
_TASK_DETAIL_EXAMPLE = {**_TASK_EXAMPLE, "logs": [
    {"ts": "2026-05-04T09:30:00+02:00", "level": "info", "message": "task created"}]}


def add_routes(app, services, openapi: schemas.OpenApi, prefix: str) -> None:
    tasks, limit = services.tasks, services.config.max_body_bytes
    source = "ui" if prefix == OPERATOR_PREFIX else "api"
    app.add_route(prefix + "/task", TaskCollection(tasks, limit, source))
    app.add_route(prefix + "/task/stats", TaskStats(tasks))
    app.add_route(prefix + "/task/batch", TaskBatch(tasks, limit))
    app.add_route(prefix + "/task/retry-all", TaskRetryAll(tasks))
    item = TaskItem(tasks)
    app.add_route(prefix + "/task/{task_id}", item)
    app.add_route(prefix + "/task/{task_id}/stop", item, suffix="stop")
    app.add_route(prefix + "/task/{task_id}/retry", item, suffix="retry")

    ids = {"type": "array", "items": {"type": "integer"}}
    page = {"type": "object", "properties": {
        "tasks": {"type": "array", "items": schemas.TASK}, "total": {"type": "integer"},
        "page": {"type": "integer"}, "page_size": {"type": "integer"}}}
    deleted = {"type": "object", "properties": {"deleted_ids": ids, "not_found": ids}}
    # The document's POST /task body: script_name's enum and each script's own script_config.
    create = openapi.script_body("CreateTask", schemas.CREATE_TASK, {
        name: services.registry.get(name).schema for name in services.registry.names()})
    # Links: where a client (and Schemathesis' stateful phase) goes with the ids an answer gives.
    first = "$response.body#/data/task_ids/0"
    on_task = {"GetTask": ("getTaskByTaskId", {"task_id": first}),
               "StopTask": ("postTaskByTaskIdStop", {"task_id": first}),
               "RetryTask": ("postTaskByTaskIdRetry", {"task_id": first}),
               "DeleteTask": ("deleteTaskByTaskId", {"task_id": first})}
    itself = "$request.path.task_id"
    add = openapi.add_path
    add("/task", "post", "Create tasks (one per device, account or target; all or nothing). "
        "Extension: `groups` adds the phones of device groups to serials (each phone once)",
        body=create, data=schemas.TASKS_CREATED, links=on_task,
        example={"serials": ["R58M12345AB"], "script_name": "follow",
                 "script_config": {"target_users": ["@user1", "user2"]},
                 "min_interval": 2, "max_interval": 8},
        data_example={"task_ids": [41, 42], "created_count": 2, "unknown_serials": []})
    add("/task", "get", "List tasks, newest first", query=schemas.LIST_TASKS_QUERY, data=page,
        links={"GetTask": ("getTaskByTaskId", {"task_id": "$response.body#/data/tasks/0/id"})},
        data_example={"tasks": [_TASK_EXAMPLE], "total": 1, "page": 1, "page_size": 20})
    add("/task/stats", "get", "Task counts by status", data=schemas.STATS,
        data_example={"total": 5, "pending": 1, "running": 1, "completed": 2, "failed": 1})
    add("/task/batch", "delete", "Delete several tasks (running ones are stopped first)",
        body=schemas.TASK_IDS, data=deleted, example={"task_ids": [41, 42, 7]},
        data_example={"deleted_ids": [41, 42], "not_found": [7]})
    add("/task/retry-all", "post", "Retry every failed task not yet retried max_retry_count "
        "times; those are skipped and counted", data={"type": "object", "properties": {
            "task_ids": ids, "retried_count": {"type": "integer"}, "skipped_ids": ids,
            "skipped_count": {"type": "integer", "description": "failed tasks left failed: "
                                                               "already retried max_retry_count "
                                                               "times"},
            "max_retry_count": {"type": "integer"}}},
        data_example={"task_ids": [7, 9], "retried_count": 2, "skipped_ids": [3],
                      "skipped_count": 1, "max_retry_count": 3})
    add("/task/{task_id}", "get", "One task with its logs", data=schemas.TASK_DETAIL,
        data_example=_TASK_DETAIL_EXAMPLE,
        links={"StopTask": ("postTaskByTaskIdStop", {"task_id": itself}),
               "DeleteTask": ("deleteTaskByTaskId", {"task_id": itself})})
    add("/task/{task_id}", "delete", "Delete a task (stopped first if running)", data=deleted,
        data_example={"deleted_ids": [42], "not_found": []})
    add("/task/{task_id}/stop", "post", "Stop a pending or running task", data=schemas.TASK_DETAIL,
        data_example={**_TASK_DETAIL_EXAMPLE, "status": 3, "remark": "stopped"},
        links={"RetryTask": ("postTaskByTaskIdRetry", {"task_id": itself}),
               "GetTask": ("getTaskByTaskId", {"task_id": itself})})
    add("/task/{task_id}/retry", "post", "Put a failed task back in its device's queue (40001 "
        "naming retry_count once it was retried max_retry_count times)",
        data=schemas.TASK_DETAIL, data_example={**_TASK_DETAIL_EXAMPLE, "retry_count": 1},
        links={"GetTask": ("getTaskByTaskId", {"task_id": itself})})
