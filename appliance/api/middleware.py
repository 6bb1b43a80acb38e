"""Request gates that run before any responder: body limit, access (token off loopback), plan.

Order matters and is fixed in create_app: the body limit first (cheap, protects the rest), then
access (an unknown caller learns nothing, not even which routes exist), then the plan gate.
The gates run on waitress worker threads and hold only what create_app gave them (read-only).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from appliance.api.protocols import License
from appliance.errors import BodyTooLarge, PlanForbidsApi, Unauthorized
from appliance.services.access import AccessService

API_PREFIX = "/api/v1"
# The operator's surface: the same routes for the console and the admin CLI, under the same
# access rule but outside the plan's gate (the plan gates the Local API for third-party clients).
OPERATOR_PREFIX = "/ui/v1"
UPLOAD_PATHS = frozenset(prefix + "/material" for prefix in (API_PREFIX, OPERATOR_PREFIX))
# Paths whose data needs the access rule: the Local API, the dashboard's JSON and the metrics.
GUARDED_PREFIXES = (API_PREFIX + "/", "/ui/")
GUARDED_PATHS = {API_PREFIX, "/metrics"}
# Open on every plan (docs/API.md, Plans): license/check answers 40301 itself; openapi.json is open.
PLAN_EXEMPT = {API_PREFIX + "/license/check", API_PREFIX + "/openapi.json"}


def routed_path(req) -> str:
    """The path as falcon's router sees it: it ignores leading slashes, so `//api/v1/task`
    reaches the same responder as `/api/v1/task` and must meet the same gates."""
    return "/" + req.path.lstrip("/")


def cross_site(req) -> bool:
    """A browser says a page of another site sent this request. Such a page could otherwise use
    the free pass of loopback and trusted networks to create tasks or reboot phones unseen (it
    cannot read the answers: the hub sends no CORS headers, so no real client is refused)."""
    site = req.get_header("Sec-Fetch-Site")
    if site is not None:
        return site.strip().lower() not in ("same-origin", "none")
    origin = req.get_header("Origin")
    if origin is None:
        return False
    return urlsplit(origin.strip()).netloc.lower() != (req.get_header("Host") or "").lower()


def upload_route(method: str, path: str) -> bool:
    """A material upload: the one request whose body may be larger than max_body_bytes."""
    return method == "POST" and path.rstrip("/") in UPLOAD_PATHS


class BodyLimit:
    def __init__(self, max_bytes: int, max_upload_bytes: int):
        self.max_bytes, self.max_upload_bytes = max_bytes, max_upload_bytes

    def process_request(self, req, resp) -> None:
        limit = (self.max_upload_bytes if upload_route(req.method, routed_path(req))
                 else self.max_bytes)
        if req.content_length is not None and req.content_length > limit:
            raise BodyTooLarge(f"Request body of {req.content_length} bytes is over the limit of "
                               f"{limit} bytes; send less data per request.")


class Access:
    """Loopback and trusted networks need no token when the Host header names the hub; everyone
    else sends `Bearer <token>`, and so does a web page of another site, wherever its browser
    runs, or of a name that merely resolves to the hub (DNS rebinding)."""

    def __init__(self, access: AccessService):
        self.access = access

    def process_request(self, req, resp) -> None:
        path = routed_path(req)
        if not path.startswith(GUARDED_PREFIXES) and path not in GUARDED_PATHS:
            return
        trusted = self.access.is_trusted(req.remote_addr)
        host = req.get_header("Host")
        named = self.access.names_hub(host)
        if trusted and named and not cross_site(req):
            return
        if not self.access.token_ok(req.get_header("Authorization")):
            why = ""
            if trusted and not named:
                why = (f" The request names the host {host!r}, which is not one of this hub's "
                       "names; to reach the hub under that name without a token, add it to the "
                       "setting server_names.")
            raise Unauthorized("This request needs the API token: send 'Authorization: Bearer "
                               "<token>' (the hub's administrator shows it with "
                               f"`appliance token show`).{why}")


class PlanGate:
    def __init__(self, license: License):
        self.license = license

    def process_request(self, req, resp) -> None:
        path = routed_path(req)
        if not path.startswith(API_PREFIX + "/") or path in PLAN_EXEMPT:
            return
        plan = self.license.plan()
        if not plan.api_enabled:
            raise PlanForbidsApi(plan.describe()["message"], data=plan.describe())
