"""The operator's console: static files at `/` and `/static/...`, the API docs at `/docs`, and one
JSON overview at `/ui/overview` (version, plan, task counts).

Not the Local API: it works on every plan (docs/API.md, Plans); its data calls go to the operator
surface `/ui/v1` under the same access rule. Static files are served by an allow-list of
names built at start (the package's `web/` tree and two files of Swagger UI), never by a path.
Runs on waitress worker threads; the allow-list is built at start and only read afterwards.
"""

from __future__ import annotations

from pathlib import Path

import falcon
from swagger_ui_bundle import swagger_ui_path

from appliance import __version__
from appliance.api.protocols import Console

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
# Swagger UI renders /docs: its two files, served as /static/swagger/<name>.
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")
# No inline script or style anywhere (Swagger UI included): the policy stays strict.
CSP = "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'"
RECENT_TASKS = 50


def allow_list(folder: Path = WEB_DIR) -> dict[str, Path]:
    """Each servable file by its name under /static/ (a posix path relative to `folder`)."""
    files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
             if p.is_file() and p.suffix in TYPES} if folder.is_dir() else {}
    swagger = Path(str(swagger_ui_path))
    files.update({f"swagger/{name}": swagger / name for name in SWAGGER_FILES})
    return files


class StaticFiles:
    def __init__(self, files: dict[str, Path]):
        self.files = files

    def _send(self, resp, name: str) -> None:
        path = self.files.get(name)
        if path is None:
            raise falcon.HTTPNotFound()
        resp.content_type = TYPES[path.suffix]
        resp.data = path.read_bytes()
        resp.set_header("Cache-Control", "no-cache")
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Content-Security-Policy", CSP)
        resp.set_header("Referrer-Policy", "no-referrer")

    def on_get(self, req, resp) -> None:
        self._send(resp, "index.html")

    def on_get_docs(self, req, resp) -> None:
        self._send(resp, "docs.html")

    def on_get_file(self, req, resp, name: str) -> None:
        self._send(resp, name)


class Overview:
    def __init__(self, services: Console):
        self.services = services

    def on_get(self, req, resp) -> None:
        s = self.services
        devices = s.devices.list()["devices"] if s.devices is not None else []
        recent = s.tasks.list({"page": 1, "page_size": RECENT_TASKS})["tasks"]
        resp.media = {"code": 0, "message": "success", "data": {
            "version": __version__, "license": s.license.check(), "stats": s.tasks.stats(),
            "adb_enabled": s.devices is not None, "devices": devices, "tasks": recent}}


def add_routes(app, services, openapi=None, prefix: str = "") -> None:
    static = StaticFiles(allow_list())
    app.add_route("/", static)
    app.add_route("/docs", static, suffix="docs")
    app.add_route("/static/{name:path}", static, suffix="file")
    app.add_route("/ui/overview", Overview(services))
