"""The fleet gateway's falcon app (issue 17): the hub's `/api/v1` and `/ui/v1` over every hub.

Same middleware, envelope, token rule and OpenAPI as the hub (`api/app.py`), with the resource
modules that the gateway's services can serve (tasks, license, devices and accounts to read,
events, the console); the rest of the hub's API answers 40401 naming the hubs' own APIs.
`create_gateway_app(gateway)` does no I/O; waitress worker threads call the resources.
"""

from __future__ import annotations

from typing import Any

import falcon
import falcon.media

from appliance import __version__
from appliance.api import accounts, dashboard, devices, envelope, events, license, meta, tasks
from appliance.api.metrics import Observe
from appliance.api.middleware import API_PREFIX, OPERATOR_PREFIX, Access, BodyLimit, PlanGate
from appliance.api.options import OptionsAnswer
from appliance.api.schemas import OpenApi
from appliance.errors import ApplianceError
from appliance.services.fleet_tasks import CLIENT_KEY
from appliance.services.fleet_view import NotOnGateway, hub_api_hint
from appliance.services.gateway import Gateway

FAMILIES = (tasks, license, devices, accounts, events)
# What only a hub serves: its groups, schedules, material library and admin routes.
HUB_ONLY = ("group", "schedule", "material")
MAX_KEY = 200


class ClientKey:
    """The client's Idempotency-Key header, for FleetTasks.create on this request's thread."""

    def process_request(self, req, resp) -> None:
        key = req.get_header("Idempotency-Key")
        req.context.key_token = CLIENT_KEY.set(key[:MAX_KEY] if key else None)

    def process_response(self, req, resp, resource, req_succeeded: bool) -> None:
        token = getattr(req.context, "key_token", None)
        if token is not None:
            CLIENT_KEY.reset(token)


class HubOnly:
    """A sink for the hub's routes the gateway does not serve: say where they are served."""

    def __init__(self, gateway: Gateway):
        self.view = gateway.view

    def __call__(self, req, resp, **kwargs: Any) -> None:
        raise NotOnGateway(f"The fleet gateway does not serve {req.method} {req.path}: device "
                           "groups, schedules, materials and administration belong to each hub. "
                           f"Call a hub's own API ({hub_api_hint(self.view)}).")


class Health:
    def __init__(self, gateway: Gateway):
        self.gateway = gateway

    def on_get(self, req, resp) -> None:
        view = self.gateway.view
        broker = self.gateway.link.connected
        # "degraded" without the broker: every task call answers 50301 until it is back.
        resp.media = {"status": "ok" if broker else "degraded", "version": __version__,
                      "role": "gateway", "broker": broker,
                      "hubs": {str(n): view.up(n) for n in view.numbers()}}


class Fleet:
    """`GET /api/v1/fleet` (gateway only): each hub as the gateway sees it."""

    def __init__(self, gateway: Gateway):
        self.gateway = gateway

    def on_get(self, req, resp) -> None:
        view = self.gateway.view
        hubs = []
        for hub in view.hubs():
            age = view.stats_age(hub)
            hubs.append({"hub": hub.number, "up": view.is_up(hub), "online": hub.online,
                         "api": hub.api, "version": hub.get("info").get("version"),
                         "heartbeat_age": None if age is None else round(age, 1),
                         "clock_skew": view.skews.get(hub.number),
                         "phones": len(hub.get("devices").get("devices") or []),
                         "stats": hub.get("stats")})
        envelope.ok(resp, {"broker": self.gateway.link.connected, "hubs": hubs,
                           "quotas": self.gateway.quotas.snapshot()})


# What the gateway adds to the hub's operations, said in the document it serves.
FLEET_NOTES = {
    ("/task", "post"): "Gateway: each serial (username) goes to the hub that has it; one on no "
                       "hub or on two is 40001, a target hub down 50301 and nothing written. "
                       "Task ids are fleet ids (hub's id * 64 + hub number). Send an "
                       "Idempotency-Key header to retry safely (the same key with another body: "
                       "40001).",
    ("/task", "get"): "Gateway: the hubs' lists merged newest first; `partial` and "
                      "`missing_hubs` name hubs that did not answer (their tasks left out).",
    ("/task/stats", "get"): "Gateway: the sum of the hubs' last heartbeats; `stale_hubs` "
                            "(hub, age in s) and `missing_hubs` name those not current.",
    ("/task/batch", "delete"): "Gateway: `not_reached` lists ids on hubs that are down "
                               "(`missing_hubs`).",
    ("/task/retry-all", "post"): "Gateway: every hub that is up; `missing_hubs` the others.",
}


def describe_fleet(openapi: OpenApi) -> None:
    for (path, method), note in FLEET_NOTES.items():
        op = openapi.paths.get(path, {}).get(method)
        if op is not None:
            op["description"] = note


def create_gateway_app(gateway: Gateway) -> falcon.App:
    middleware: list[Any] = [Observe(), BodyLimit(gateway.config.max_body_bytes,
                                                   gateway.config.max_body_bytes),
                             Access(gateway.access), PlanGate(gateway.license), ClientKey(),
                             OptionsAnswer()]
    app = falcon.App(middleware=middleware)
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = falcon.media.JSONHandler(
        dumps=envelope.json_dumps)
    app.req_options.strip_url_path_trailing_slash = True
    app.add_error_handler(Exception, envelope.handle_unexpected)
    app.add_error_handler(falcon.HTTPError, envelope.handle_http_error)
    app.add_error_handler(ApplianceError, envelope.handle_appliance_error)

    openapi = OpenApi()
    app.add_route("/healthz", Health(gateway))
    app.add_route(API_PREFIX + "/openapi.json", meta.OpenApiDocument(openapi))
    for family in FAMILIES:
        family.add_routes(app, gateway, openapi, API_PREFIX)
    for family in FAMILIES:
        family.add_routes(app, gateway, OpenApi(), OPERATOR_PREFIX)
    for prefix in (API_PREFIX, OPERATOR_PREFIX):
        app.add_route(prefix + "/fleet", Fleet(gateway))
    openapi.add_path("/fleet", "get", "The fleet's hubs as the gateway sees them (gateway only)",
                     tag="fleet", data={"type": "object"})
    describe_fleet(openapi)
    dashboard.add_routes(app, gateway)
    sink = HubOnly(gateway)
    for prefix in (API_PREFIX, OPERATOR_PREFIX):
        for name in HUB_ONLY:
            app.add_sink(sink, f"{prefix}/{name}(/.*)?$")
    app.add_sink(sink, "/admin(/.*)?$")
    return app
