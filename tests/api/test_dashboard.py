"""The console's files and the API docs page: served on every plan by an allow-list under a
strict CSP; its overview behind the same access rule as the API. (The console itself is driven
in a browser by tests/browser.)"""

from __future__ import annotations

import re

from appliance.api.dashboard import WEB_DIR
from tests.fixtures import make_tasks

CSP = "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'"


def test_console_and_its_modules_are_served_under_a_strict_csp(client):
    page = client.simulate_get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page.headers["content-security-policy"] == CSP
    entry = re.search(r'<script type="module" src="/static/(js/app\.js)">', page.text)
    assert entry, "the console loads its entry module from a file"
    # Every module the console imports is served, nested folders included.
    for module in sorted(WEB_DIR.rglob("*.js")):
        name = module.relative_to(WEB_DIR).as_posix()
        served = client.simulate_get(f"/static/{name}")
        assert served.status_code == 200, name
        assert served.headers["content-type"].startswith("text/javascript")
        assert served.headers["x-content-type-options"] == "nosniff"
    # No inline script anywhere: the CSP would refuse it.
    for html in WEB_DIR.glob("*.html"):
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html.read_text()), html.name


def test_data_goes_into_the_page_as_text_only():
    for module in WEB_DIR.rglob("*.js"):
        code = module.read_text()
        unsafe = r"\.(inner|outer)HTML\s*[+]?=|insertAdjacentHTML\(|document\.write\("
        assert not re.search(unsafe, code), module


def test_docs_page_serves_swagger_ui_from_the_box(client):
    page = client.simulate_get("/docs")
    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
    for name in re.findall(r'(?:src|href)="/static/([^"]+)"', page.text):
        assert client.simulate_get(f"/static/{name}").status_code == 200, name
    bundle = client.simulate_get("/static/swagger/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert "/api/v1/openapi.json" in client.simulate_get("/static/js/docs.js").text


def test_static_files_are_an_allow_list(client):
    for path in ("/static/..%2f..%2fconfig.py", "/static/../api/app.py", "/static/nothing.js",
                 "/static/app.py", "/static/js/../../api/app.py", "/static/swagger/index.html",
                 "/static/swagger/swagger-ui-bundle.js.map"):
        assert client.simulate_get(path).json["code"] == 40401, path


def test_overview_shows_stats_and_recent_tasks(client):
    ids = make_tasks(client, 3)
    data = client.simulate_get("/ui/overview").json["data"]
    assert data["stats"]["pending"] == 3
    assert [t["id"] for t in data["tasks"]] == sorted(ids, reverse=True)
    assert data["adb_enabled"] is False and data["devices"] == []


def test_console_works_on_starter(make_client):
    client, _ = make_client(plan="Starter")
    assert client.simulate_get("/api/v1/task").json["code"] == 40301
    overview = client.simulate_get("/ui/overview").json
    assert overview["code"] == 0 and overview["data"]["license"]["plan_name"] == "Starter"
    assert client.simulate_get("/").status_code == 200
    assert client.simulate_get("/docs").status_code == 200


def test_overview_needs_the_token_off_loopback(make_client):
    client, services = make_client()
    result = client.simulate_get("/ui/overview", remote_addr="198.51.100.4")
    assert result.status_code == 401 and result.json["code"] == 40101
    token = (services.config.state_dir / "api-token").read_text().strip()
    ok = client.simulate_get("/ui/overview", remote_addr="198.51.100.4",
                             headers={"Authorization": f"Bearer {token}"})
    assert ok.json["code"] == 0
