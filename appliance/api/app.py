"""The falcon app factory: the one place that adds routes, middleware and error handlers.

`create_app(services)` does no I/O; waitress worker threads call the resources, which call the
services. Each resource family registers its routes and its OpenAPI operations together.
"""

from __future__ import annotations

import falcon
import falcon.media

from appliance.api import (
    accounts,
    admin,
    dashboard,
    devices,
    envelope,
    events,
    groups,
    license,
    materials,
    meta,
    metrics,
    schedules,
    tasks,
)
from appliance.api.metrics import Observe
from appliance.api.middleware import API_PREFIX, OPERATOR_PREFIX, Access, BodyLimit, PlanGate
from appliance.api.options import OptionsAnswer
from appliance.api.schemas import OpenApi
from appliance.errors import ApplianceError
from appliance.services import Services

# Route families in registration order: each module's add_routes adds its routes and their
# OpenAPI operations together.
FAMILIES = (meta, tasks, license, devices, accounts, groups, schedules, materials, events, admin,
            dashboard, metrics)
# The families whose every route is under the prefix: also served to the operator's tools.
OPERATOR_FAMILIES = (tasks, license, devices, accounts, groups, schedules, materials, events)


def create_app(services: Services) -> falcon.App:
    # Observe first: it times and logs every answer, the gates' refusals included.
    app = falcon.App(middleware=(Observe(), BodyLimit(services.config.max_body_bytes,
                                           services.config.max_material_bytes),
                                 Access(services.access), PlanGate(services.license),
                                 OptionsAnswer()))
    json_handler = falcon.media.JSONHandler(dumps=envelope.json_dumps)
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.req_options.strip_url_path_trailing_slash = True
    app.add_error_handler(Exception, envelope.handle_unexpected)
    app.add_error_handler(falcon.HTTPError, envelope.handle_http_error)
    app.add_error_handler(ApplianceError, envelope.handle_appliance_error)

    openapi = OpenApi()
    for family in FAMILIES:
        family.add_routes(app, services, openapi, API_PREFIX)
    # The operator's surface: the same resources (one implementation each) under OPERATOR_PREFIX;
    # its operations are the API's, so they are not documented twice.
    for family in OPERATOR_FAMILIES:
        family.add_routes(app, services, OpenApi(), OPERATOR_PREFIX)
    return app
