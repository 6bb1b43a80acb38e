"""`GET /events`: the hub's live events as server-sent events (`text/event-stream`).

Each open stream holds one waitress worker thread (the server has `event_subscribers` more than
`threads`) and one subscription. About every second it re-applies the access and plan gates (a
rotated token, or a plan without the API, ends it), has the events service look at the plan, and
ends when the client has left or the hub stops. A reader that stops reading is dropped once
MAX_UNSENT bytes wait for it, rather than let waitress buffer for it (16 MB, then disk).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from appliance.api import schemas
from appliance.api.envelope import json_dumps
from appliance.api.middleware import Access, PlanGate
from appliance.api.protocols import EventSource
from appliance.errors import ApplianceError, Busy, InvalidParams
from appliance.services.events import TYPES, Subscription

MAX_UNSENT = 128 << 10  # bytes written and not yet taken by the client: some 800 events
RETRY_MS = 3000         # how long an EventSource waits before it reconnects

EVENTS_QUERY = {"type": "object", "properties": {
    "types": {"type": "string", "description": "comma-separated event types to send (default "
                                               "all): " + ", ".join(TYPES)},
    "last_event_id": {"type": "string", "maxLength": 64,
                      "description": "resume after this event id, as the Last-Event-ID header "
                                     "(which wins when both are sent)"}}}


def frame(event: str, data: dict, event_id: str | None = None) -> bytes:
    """One SSE event: the data is one line of JSON, with `action` naming the event."""
    head = f"id: {event_id}\n" if event_id else ""
    return (f"{head}event: {event}\ndata: ".encode() + json_dumps({"action": event, **data})
            + b"\n\n")


def chosen_types(value: str | None) -> frozenset[str]:
    names = {name.strip() for name in (value or "").split(",") if name.strip()}
    unknown = sorted(names - set(TYPES))
    if unknown:
        raise InvalidParams(f"Invalid parameter types: {', '.join(map(repr, unknown))} is not an "
                            f"event type; give a comma-separated list of {', '.join(TYPES)}.",
                            data={"field": "types"})
    return frozenset(names or TYPES)


class EventStream:
    """The resource: checks the query, takes a subscription (Busy beyond the cap), streams."""

    heartbeat_seconds = 15.0   # a quiet stream sends a heartbeat this often (proxies, clients)
    check_seconds = 1.0        # how often a quiet stream looks at its gates, client and the hub

    def __init__(self, services: EventSource):
        self.events = services.events
        self.clock = services.clock
        self.gates = (Access(services.access), PlanGate(services.license))

    def on_get(self, req, resp) -> None:
        types = chosen_types(req.get_param("types"))
        last_id = req.get_header("Last-Event-ID") or req.get_param("last_event_id") or None
        subscription = self.events.subscribe(last_id, types)   # checks last_id, the cap
        if SERVER_HOOKS - req.env.keys():
            # Another WSGI server (a test client, a proxy's own): it cannot tell a stalled or
            # departed reader, so an endless stream could hold a thread forever.
            subscription.close()
            raise Busy("The event stream needs the hub's own web server (appliance serve); "
                       "this one cannot stream it.")
        resp.content_type = "text/event-stream; charset=utf-8"
        resp.set_header("Cache-Control", "no-cache")
        resp.set_header("X-Accel-Buffering", "no")   # nginx: pass each event on at once
        resp.stream = Frames(self, req, subscription)

    def still_allowed(self, req) -> ApplianceError | None:
        """The refusal the request would meet now (the token rotated, the plan changed)."""
        try:
            for gate in self.gates:
                gate.process_request(req, None)
        except ApplianceError as exc:
            return exc
        return None


# What only the hub's waitress puts in the environ (api/connections.py StreamingTask).
SERVER_HOOKS = frozenset(("appliance.unsent_bytes", "appliance.stopping",
                          "waitress.client_disconnected"))


class Frames:
    """The stream's body. An iterable whose `close()` ends the subscription: the WSGI server
    calls it however the stream ends, even before the first frame."""

    def __init__(self, stream: EventStream, req, subscription: Subscription):
        self.stream, self.req, self.subscription = stream, req, subscription
        # What only the server knows (the hub's waitress, api/connections.py StreamingTask).
        self.unsent: Callable[[], int] = req.env["appliance.unsent_bytes"]
        self.stopping: Callable[[], bool] = req.env["appliance.stopping"]
        self.left: Callable[[], bool] = req.env["waitress.client_disconnected"]

    def __iter__(self) -> Iterator[bytes]:
        stream, subscription = self.stream, self.subscription
        # Something now, so the headers go out at once.
        yield f"retry: {RETRY_MS}\n\n".encode()
        quiet_since = checked = time.monotonic()
        while True:
            if self.left():
                return
            refused = None
            if time.monotonic() - checked >= stream.check_seconds:
                checked = time.monotonic()
                refused = stream.still_allowed(self.req)
                stream.events.refresh()
            ending = refused is not None or self.stopping()
            events, lost = subscription.next(0 if ending else stream.check_seconds)
            out = b"".join(frame(e.type, e.data, e.id) for e in events)
            if lost:
                out += frame("reset", {"message": "Events were missed: read the tasks and "
                                                  "devices again."}, subscription.last_id)
            if refused is not None:
                yield out + frame("closed", {"code": refused.code, "message": refused.message})
                return
            if self.stopping():
                yield out + frame("closed", {"code": 0, "message": "The hub is stopping."})
                return
            if self.unsent() > MAX_UNSENT:
                yield frame("dropped", {"message": "This reader fell behind and was dropped; "
                                                   "reconnect with Last-Event-ID to resume."})
                return
            now = time.monotonic()
            if out:
                yield out
                quiet_since = now
            elif now - quiet_since >= stream.heartbeat_seconds:
                yield frame("heartbeat", {"time": stream.clock().isoformat()})
                quiet_since = now

    def close(self) -> None:
        self.subscription.close()


def add_routes(app, services, openapi: schemas.OpenApi, prefix: str) -> None:
    app.add_route(prefix + "/events", EventStream(services))
    openapi.add_path(
        "/events", "get", "Live events as server-sent events (text/event-stream): "
        "task_status, device_status, reload_devices, reload_license; heartbeat every 15 s; "
        "resume with Last-Event-ID (else `reset`: re-read); 50301 when every stream the "
        "setting event_subscribers allows is open",
        query=EVENTS_QUERY, tag="events", unavailable=(50301,),
        responses={"200": {"description": "an endless text/event-stream; each event's data is "
                                          "one JSON object whose `action` names it",
                           "content": {"text/event-stream": {"schema": {"type": "string"},
                                                             "example": (
                               "id: 3f9a01c2-12\nevent: task_status\ndata: {\"action\":"
                               "\"task_status\",\"task_id\":42,\"serial\":\"R58M12345AB\","
                               "\"status\":2,"
                               "\"status_name\":\"completed\",\"previous\":1}\n\n")}}},
                   "default": {"description": "error envelope (see info)",
                               "content": {"application/json": {
                                   "schema": schemas.envelope()}}}})
