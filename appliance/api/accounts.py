"""Resources of the `/account` family (issue 6): the account registry. Passwords go in, never out.

Thin responders on waitress worker threads: parse against the schemas below, call one
AccountService method, answer in the envelope. The schemas are also the OpenAPI document's.
"""

from __future__ import annotations

from appliance.api import schemas
from appliance.api.envelope import ok
from appliance.api.protocols import Accounts
from appliance.api.requests import checked, path_id, read_json, read_query

PACKAGE = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$",
           "maxLength": 200, "description": "Android package of the app (clone apps differ)."}
_FIELDS: dict[str, schemas.Schema] = {
    "username": {**schemas.USERNAME, "description": "Unique; a leading @ is dropped."},
    "device": {"anyOf": [schemas.SERIAL, {"type": "null"}],
               "description": "Serial of the phone the account is logged in on."},
    "enabled": {"type": "boolean"},
    "logged_in": {"type": "boolean"},
    "package_name": PACKAGE,
    "tags": {"type": "array", "maxItems": 50,
             "items": {"type": "string", "minLength": 1, "maxLength": 64}},
    "email": {"type": "string", "maxLength": 254},
    "password": {"type": "string", "maxLength": 256, "description": "Stored, never returned."},
}
CREATE_ACCOUNT = {
    "type": "object",
    "properties": {**_FIELDS,
                   "enabled": {"type": "boolean", "default": True},
                   "logged_in": {"type": "boolean", "default": False},
                   "package_name": {**PACKAGE, "default": "com.zhiliaoapp.musically"},
                   "tags": {**_FIELDS["tags"], "default": []},
                   "email": {**_FIELDS["email"], "default": ""}},
    "required": ["username"],
}
UPDATE_ACCOUNT = {"type": "object", "properties": _FIELDS}
LIST_ACCOUNTS_QUERY = {
    "type": "object",
    "properties": {
        "device": {"type": "string", "maxLength": 64},
        "username": {"type": "string", "maxLength": 64},
        "tag": {"type": "string", "maxLength": 64},
        "enabled": {"type": "boolean"},
        "logged_in": {"type": "boolean"},
        "page": {"type": "integer", "minimum": 1, "default": 1},
        "page_size": {"type": "integer", "minimum": 1, "default": 100,
                      "description": "1..1000; larger values are clamped to 1000."},
    },
}
ACCOUNT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "username": {"type": "string"},
    "device": {"type": ["string", "null"]}, "enabled": {"type": "boolean"},
    "logged_in": {"type": "boolean"}, "package_name": {"type": "string"},
    "tags": {"type": "array", "items": {"type": "string"}}, "email": {"type": "string"},
    "has_password": {"type": "boolean"}, "created_at": {"type": "string"},
    "updated_at": {"type": "string"}}}

_KNOWN = set(_FIELDS)


def _known(body: dict) -> dict:
    """docs/API.md, Transport: unknown request fields are ignored."""
    return {k: v for k, v in body.items() if k in _KNOWN}


class AccountCollection:
    def __init__(self, accounts: Accounts, max_body: int):
        self.accounts, self.max_body = accounts, max_body

    def on_get(self, req, resp) -> None:
        ok(resp, self.accounts.list(read_query(req, LIST_ACCOUNTS_QUERY)))

    def on_post(self, req, resp) -> None:
        body = checked(_known(read_json(req, self.max_body)), CREATE_ACCOUNT)
        ok(resp, self.accounts.create(body))


class AccountItem:
    def __init__(self, accounts: Accounts, max_body: int):
        self.accounts, self.max_body = accounts, max_body

    def on_get(self, req, resp, account_id: str) -> None:
        ok(resp, self.accounts.get(path_id(account_id, "account_id")))

    def on_patch(self, req, resp, account_id: str) -> None:
        number = path_id(account_id, "account_id")
        body = _known(read_json(req, self.max_body, UPDATE_ACCOUNT))
        ok(resp, self.accounts.update(number, body))

    def on_delete(self, req, resp, account_id: str) -> None:
        ok(resp, self.accounts.delete(path_id(account_id, "account_id")))


_AT = "2026-05-04T09:30:00+02:00"  # the examples' time
_ACCOUNT_EXAMPLE = {"id": 7, "username": "user1", "device": "R58M12345AB", "enabled": True,
                    "logged_in": True, "package_name": "com.zhiliaoapp.musically",
                    "tags": ["fr"], "email": "", "has_password": True,
                    "created_at": _AT, "updated_at": _AT}


def add_routes(app, services, openapi: schemas.OpenApi, prefix: str) -> None:
    accounts = services.accounts
    if accounts is None:
        return
    limit = services.config.max_body_bytes
    app.add_route(prefix + "/account", AccountCollection(accounts, limit))
    app.add_route(prefix + "/account/{account_id}", AccountItem(accounts, limit))

    page = {"type": "object", "properties": {
        "accounts": {"type": "array", "items": ACCOUNT}, "total": {"type": "integer"},
        "page": {"type": "integer"}, "page_size": {"type": "integer"}}}
    deleted = {"type": "object", "properties": {
        "deleted_ids": {"type": "array", "items": {"type": "integer"}}}}
    add = openapi.add_path
    add("/account", "get", "List accounts (filters: device, username, tag, enabled, logged_in)",
        query=LIST_ACCOUNTS_QUERY, data=page, tag="accounts",
        data_example={"accounts": [_ACCOUNT_EXAMPLE], "total": 1, "page": 1, "page_size": 100})
    add("/account", "post", "Add an account (username unique; the password is never returned)",
        body=CREATE_ACCOUNT, data=ACCOUNT, tag="accounts", data_example=_ACCOUNT_EXAMPLE,
        example={"username": "user1", "device": "R58M12345AB", "tags": ["fr"],
                 "password": "secret"},
        links={name: (op, {"account_id": "$response.body#/data/id"}) for name, op in (
            ("GetAccount", "getAccountByAccountId"), ("UpdateAccount", "patchAccountByAccountId"),
            ("DeleteAccount", "deleteAccountByAccountId"))})
    add("/account/{account_id}", "get", "One account", data=ACCOUNT, tag="accounts",
        data_example=_ACCOUNT_EXAMPLE)
    add("/account/{account_id}", "patch", "Change an account's fields", body=UPDATE_ACCOUNT,
        data=ACCOUNT, tag="accounts", example={"enabled": False}, one_field=True,
        data_example={**_ACCOUNT_EXAMPLE, "enabled": False})
    add("/account/{account_id}", "delete", "Delete an account", data=deleted, tag="accounts",
        data_example={"deleted_ids": [7]})
