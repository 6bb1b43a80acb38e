"""Resources of the `/group` family (issue 13): named device groups, an extension of the API.

Thin responders on waitress worker threads: parse against api/schemas.py, call one GroupService
method, answer in the envelope. A group names phones by serial; deleting it never touches a task.
"""

from __future__ import annotations

from appliance.api import schemas
from appliance.api.envelope import ok
from appliance.api.requests import path_id, read_json, read_query
from appliance.services.groups import GroupService


class GroupCollection:
    def __init__(self, groups: GroupService, max_body: int):
        self.groups, self.max_body = groups, max_body

    def on_get(self, req, resp) -> None:
        ok(resp, self.groups.list(read_query(req, schemas.LIST_GROUPS_QUERY).get("name")))

    def on_post(self, req, resp) -> None:
        ok(resp, self.groups.create(read_json(req, self.max_body, schemas.CREATE_GROUP)))


class GroupItem:
    def __init__(self, groups: GroupService, max_body: int):
        self.groups, self.max_body = groups, max_body

    def on_get(self, req, resp, group_id: str) -> None:
        ok(resp, self.groups.get(path_id(group_id, "group_id")))

    def on_patch(self, req, resp, group_id: str) -> None:
        number = path_id(group_id, "group_id")
        ok(resp, self.groups.update(number, read_json(req, self.max_body, schemas.UPDATE_GROUP)))

    def on_delete(self, req, resp, group_id: str) -> None:
        ok(resp, self.groups.delete(path_id(group_id, "group_id")))

    def on_post_add(self, req, resp, group_id: str) -> None:
        number = path_id(group_id, "group_id")
        body = read_json(req, self.max_body, schemas.GROUP_SERIALS)
        ok(resp, self.groups.add(number, body["serials"]))

    def on_post_remove(self, req, resp, group_id: str) -> None:
        number = path_id(group_id, "group_id")
        body = read_json(req, self.max_body, schemas.GROUP_SERIALS)
        ok(resp, self.groups.remove(number, body["serials"]))


_EXAMPLE_SERIALS = ["R58M12345AB", "192.168.1.20:5555"]
_GROUP_EXAMPLE = {"id": 3, "name": "Shelf A", "serials": _EXAMPLE_SERIALS,
                  "counts": {"devices": 2, "pending": 1, "running": 0},
                  "created_at": "2026-05-04T09:30:00+02:00",
                  "updated_at": "2026-05-04T09:30:00+02:00"}


def _on_group(group_id: str) -> dict:
    """Links from an answer that names a group to what a client does with it next."""
    return {name: (op, {"group_id": group_id}) for name, op in (
        ("GetGroup", "getGroupByGroupId"), ("UpdateGroup", "patchGroupByGroupId"),
        ("AddPhones", "postGroupByGroupIdAdd"), ("DeleteGroup", "deleteGroupByGroupId"))}


def add_routes(app, services, openapi: schemas.OpenApi, prefix: str) -> None:
    groups, limit = services.groups, services.config.max_body_bytes
    app.add_route(prefix + "/group", GroupCollection(groups, limit))
    item = GroupItem(groups, limit)
    app.add_route(prefix + "/group/{group_id}", item)
    app.add_route(prefix + "/group/{group_id}/add", item, suffix="add")
    app.add_route(prefix + "/group/{group_id}/remove", item, suffix="remove")

    serials = {"type": "array", "items": {"type": "string"}}
    listing = {"type": "object", "properties": {
        "groups": {"type": "array", "items": schemas.GROUP}, "total": {"type": "integer"}}}
    added = {**schemas.GROUP, "properties": {**schemas.GROUP["properties"], "added": {
        **serials, "description": "the serials that were not in the group yet"}}}
    removed = {**schemas.GROUP, "properties": {**schemas.GROUP["properties"], "removed": {
        **serials, "description": "the serials that were in the group"}}}
    deleted = {"type": "object", "properties": {
        "deleted_ids": {"type": "array", "items": {"type": "integer"}}}}
    add = openapi.add_path
    add("/group", "get", "Device groups (extension), ascending id, each with its phones and "
        "their pending and running task counts", query=schemas.LIST_GROUPS_QUERY, data=listing,
        tag="groups", data_example={"groups": [_GROUP_EXAMPLE], "total": 1})
    add("/group", "post", "Create a device group (name unique ignoring case; a phone may be in "
        "several groups)", body=schemas.CREATE_GROUP, data=schemas.GROUP, tag="groups",
        example={"name": "Shelf A", "serials": ["R58M12345AB", "192.168.1.20:5555"]},
        data_example=_GROUP_EXAMPLE, links=_on_group("$response.body#/data/id"))
    add("/group/{group_id}", "get", "One device group", data=schemas.GROUP, tag="groups",
        data_example=_GROUP_EXAMPLE)
    add("/group/{group_id}", "patch", "Rename a group and/or replace its phones",
        body=schemas.UPDATE_GROUP, data=schemas.GROUP, tag="groups", one_field=True,
        example={"name": "Shelf B"}, data_example={**_GROUP_EXAMPLE, "name": "Shelf B"})
    add("/group/{group_id}", "delete", "Delete a group (its phones' tasks are kept as they are)",
        data=deleted, tag="groups", data_example={"deleted_ids": [3]})
    add("/group/{group_id}/add", "post", "Add phones to a group (those already in it are kept "
        "where they are)", body=schemas.GROUP_SERIALS, data=added, tag="groups",
        example={"serials": ["R58M99999ZZ"]},
        data_example={**_GROUP_EXAMPLE, "serials": [*_EXAMPLE_SERIALS, "R58M99999ZZ"],
                      "added": ["R58M99999ZZ"]})
    add("/group/{group_id}/remove", "post", "Remove phones from a group",
        body=schemas.GROUP_SERIALS, data=removed, tag="groups",
        example={"serials": ["192.168.1.20:5555"]},
        data_example={**_GROUP_EXAMPLE, "serials": ["R58M12345AB"],
                      "removed": ["192.168.1.20:5555"]})
