"""Routes about the hub itself: `/healthz` (outside the API, for systemd and load balancers)
and `GET /api/v1/openapi.json` (open on every plan, from loopback without a token).
Runs on waitress worker threads; the OpenAPI document is built once at start, then only read."""

from __future__ import annotations

from appliance import __version__
from appliance.api import schemas
from appliance.services import Services


class Health:
    def __init__(self, services: Services):
        self.services = services

    def on_get(self, req, resp) -> None:
        resp.media = {"status": "ok", "version": __version__, "adb": self._adb()}

    def _adb(self) -> dict | None:
        """The hub's own adb server, so `appliance status` need not probe it (None: adb off)."""
        devices = self.services.devices
        if devices is None:
            return None
        server = devices.manager.server
        return {"running": server.running, "port": server.port, "restarts": server.restarts}


class OpenApiDocument:
    def __init__(self, openapi: schemas.OpenApi):
        self.openapi = openapi

    def on_get(self, req, resp) -> None:
        resp.media = self.openapi.document()


def add_routes(app, services, openapi: schemas.OpenApi, prefix: str) -> None:
    app.add_route("/healthz", Health(services))
    app.add_route(prefix + "/openapi.json", OpenApiDocument(openapi))
