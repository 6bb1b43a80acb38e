"""The one place where answers get their shape: `{"code", "message", "data"}` for every outcome.

ApplianceError subclasses carry their own code; falcon's HTTP errors (router 404, 405, bad
request) are mapped by status; anything else is 50001 with a logged traceback and a message that
never leaks it.
Pure functions called on waitress worker threads; no shared state.
"""

from __future__ import annotations

import json
import logging
import math

import falcon

from appliance.errors import ApplianceError, StoreError

log = logging.getLogger("appliance.api")

_HTTP_TO_CODE = {400: 40001, 401: 40101, 403: 40301, 404: 40401, 405: 40501, 413: 41301}


def ok(resp: falcon.Response, data: object) -> None:
    resp.media = {"code": 0, "message": "success", "data": data}


def _send(resp: falcon.Response, status: int, code: int, message: str, data: object = None) -> None:
    resp.status = status
    resp.media = {"code": code, "message": message, "data": data}


INTERNAL_MESSAGE = ("Internal error: the hub could not complete this request. It has been logged; "
                    "retry, and check the hub's log if it persists.")
STORE_MESSAGE = ("The hub could not read or write its store. Retry; if it persists, the hub's "
                 "administrator should free disk space and run `appliance doctor` on the hub.")


def handle_appliance_error(req, resp, ex: ApplianceError, params) -> None:
    if isinstance(ex, StoreError):
        # The store's sentence names the hub's own folders: the log keeps it, not the answer.
        log.error("store error on %s %s: %s", req.method, req.path, ex.message)
        _send(resp, ex.http_status, ex.code, STORE_MESSAGE)
        return
    _send(resp, ex.http_status, ex.code, ex.message, ex.data)


def handle_http_error(req, resp, ex: falcon.HTTPError, params) -> None:
    status = ex.status_code
    code = _HTTP_TO_CODE.get(status, 50001 if status >= 500 else 40001)
    headers = dict(ex.headers or {})  # falcon allows a mapping or (name, value) pairs
    if status == 404:
        message = f"No such route: {req.method} {req.path}. See /api/v1/openapi.json."
    elif status == 405:
        allowed = headers.get("Allow", "")
        message = f"Method {req.method} is not allowed on {req.path}; allowed: {allowed}."
    else:
        message = " ".join(p for p in (ex.title, ex.description) if p) or "Request failed."
    for name, value in headers.items():
        resp.set_header(name, value)
    _send(resp, status, code, message)


def handle_unexpected(req, resp, ex: Exception, params) -> None:
    if isinstance(ex, falcon.HTTPError):
        handle_http_error(req, resp, ex, params)
        return
    log.exception("internal error on %s %s", req.method, req.path)
    _send(resp, 500, 50001, INTERNAL_MESSAGE)


def _finite(obj: object) -> object:
    """`obj` with every non-finite float as null (JSON has no Infinity or NaN)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {key: _finite(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(value) for value in obj]
    return obj


def json_dumps(obj: object) -> bytes:
    """UTF-8 JSON bytes (falcon sends bytes from `dumps` as they are). A lone surrogate (a stored
    `"\\ud800"` escape) has no UTF-8 form: that answer is escaped to ASCII instead of crashing.
    Always valid JSON: a non-finite number (stored before requests refused them) is sent as null
    rather than as `Infinity`, which would break every client reading the answer."""
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        log.warning("an answer held a non-finite number; it is sent as null")
        text = json.dumps(_finite(obj), ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(json.loads(text), ensure_ascii=True,
                          separators=(",", ":")).encode("ascii")
