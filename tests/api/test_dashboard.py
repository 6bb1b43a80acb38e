"""The web dashboard: served on every plan, its data behind the same access rule as the API."""

from __future__ import annotations

from tests.api.conftest import make_tasks


def test_page_and_assets_are_served(client):
    page = client.simulate_get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/static/app.js" in page.text
    script = client.simulate_get("/static/app.js")
    assert script.status_code == 200 and "textContent" in script.text


def test_static_files_are_an_allow_list(client):
    for path in ("/static/..%2f..%2fconfig.py", "/static/nothing.js", "/static/app.py"):
        assert client.simulate_get(path).json["code"] == 40401


def test_overview_shows_stats_and_recent_tasks(client):
    ids = make_tasks(client, 3)
    data = client.simulate_get("/ui/overview").json["data"]
    assert data["stats"]["pending"] == 3
    assert [t["id"] for t in data["tasks"]] == sorted(ids, reverse=True)
    assert data["adb_enabled"] is False and data["devices"] == []


def test_dashboard_works_on_starter(make_client):
    client, _ = make_client(plan="Starter")
    assert client.simulate_get("/api/v1/task").json["code"] == 40301
    overview = client.simulate_get("/ui/overview").json
    assert overview["code"] == 0 and overview["data"]["license"]["plan_name"] == "Starter"


def test_overview_needs_the_token_off_loopback(make_client):
    client, services = make_client()
    result = client.simulate_get("/ui/overview", remote_addr="198.51.100.4")
    assert result.status_code == 401 and result.json["code"] == 40101
    token = (services.config.state_dir / "api-token").read_text().strip()
    ok = client.simulate_get("/ui/overview", remote_addr="198.51.100.4",
                             headers={"Authorization": f"Bearer {token}"})
    assert ok.json["code"] == 0
