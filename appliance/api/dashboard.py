"""The operators' web dashboard: static files at `/` and one JSON overview at `/ui/overview`.

Not the Local API: it works on every plan (CONTRACT: Plans), but the same access rule applies
to its data (loopback and trusted networks freely, anyone else with the token). Static files are
served from the package's `web/` folder by an allow-list built at start, never by a path.
Runs on waitress worker threads; the allow-list is built at start and only read afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import falcon

from appliance import __version__

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
RECENT_TASKS = 50


class StaticFiles:
    def __init__(self, folder: Path = WEB_DIR):
        self.files = {p.name: p for p in folder.iterdir()
                      if p.is_file() and p.suffix in TYPES} if folder.is_dir() else {}

    def _send(self, resp, name: str) -> None:
        path = self.files.get(name)
        if path is None:
            raise falcon.HTTPNotFound()
        resp.content_type = TYPES[path.suffix]
        resp.data = path.read_bytes()
        resp.set_header("Cache-Control", "no-cache")
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Content-Security-Policy",
                        "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'")

    def on_get(self, req, resp) -> None:
        self._send(resp, "index.html")

    def on_get_file(self, req, resp, name: str) -> None:
        self._send(resp, name)


class Overview:
    def __init__(self, services: Any):
        self.services = services

    def on_get(self, req, resp) -> None:
        s = self.services
        devices = s.devices.list()["devices"] if s.devices is not None else []
        recent = s.tasks.list({"page": 1, "page_size": RECENT_TASKS})["tasks"]
        resp.media = {"code": 0, "message": "success", "data": {
            "version": __version__, "license": s.license.check(), "stats": s.tasks.stats(),
            "adb_enabled": s.devices is not None, "devices": devices, "tasks": recent}}


def add_routes(app, services, openapi=None, prefix: str = "") -> None:
    static = StaticFiles()
    app.add_route("/", static)
    app.add_route("/static/{name}", static, suffix="file")
    app.add_route("/ui/overview", Overview(services))
