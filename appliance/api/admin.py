"""Admin routes for the CLI on the same box: `POST /admin/db/backup` (loopback only).

`appliance db backup` cannot open the store while the hub holds its lock, so it asks the hub:
the copy is then taken under the store lock, consistent with every acknowledged write. Runs on a
waitress worker thread; the destination is confined to `state_dir/backups/`.
"""

from __future__ import annotations

from pathlib import Path

from appliance.api.envelope import ok
from appliance.api.middleware import cross_site
from appliance.api.requests import read_json
from appliance.errors import InvalidParams, Unauthorized
from appliance.services import Services
from appliance.services.access import is_loopback
from appliance.services.storeadmin import hub_backup


class DbBackup:
    def __init__(self, services: Services):
        self.services = services

    def on_post(self, req, resp) -> None:
        if (not is_loopback(req.remote_addr) or cross_site(req)
                or not self.services.access.names_hub(req.get_header("Host"))):
            # Loopback, and (as the guarded routes) not a page of another site or of a name that
            # merely resolves to the box (DNS rebinding).
            raise Unauthorized("Admin routes answer only on loopback: run `appliance db backup` "
                               "on the hub's own machine.")
        # A JSON content type cannot be sent cross-site without a preflight: no drive-by backups.
        if not (req.content_type or "").startswith("application/json"):
            raise InvalidParams("Send the body as application/json: {\"path\": \"<file name>\"}.")
        body = read_json(req, self.services.config.max_body_bytes, required=False)
        state_dir = Path(self.services.config.state_dir)
        ok(resp, hub_backup(self.services.store, state_dir, body.get("path")))


def add_routes(app, services, openapi=None, prefix: str = "") -> None:
    # Outside /api/v1 on purpose: not part of the TikMatrix API, not in its OpenAPI document.
    app.add_route("/admin/db/backup", DbBackup(services))
