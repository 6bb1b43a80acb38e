"""`GET /license/check` (docs/API.md, Plans): the plan's data; code 40301 on Starter, same data.

Runs on waitress worker threads; no state of its own (the plan is re-read per request)."""

from __future__ import annotations

from appliance.api import schemas
from appliance.api.envelope import ok
from appliance.api.protocols import License
from appliance.errors import PlanForbidsApi


class LicenseCheck:
    def __init__(self, license: License):
        self.license = license

    def on_get(self, req, resp) -> None:
        data = self.license.check()
        if not data["api_enabled"]:
            raise PlanForbidsApi(data["message"], data=data)
        ok(resp, data)


def add_routes(app, services, openapi: schemas.OpenApi, prefix: str) -> None:
    app.add_route(prefix + "/license/check", LicenseCheck(services.license))
    openapi.add_path("/license/check", "get", "The hub's plan (40301 with the same data on Starter)",
                     data=schemas.LICENSE, tag="license",
                     data_example={"plan_name": "Pro", "api_enabled": True, "device_limit": 20,
                                   "message": "The Pro plan includes Local API access for up "
                                              "to 20 devices."})
