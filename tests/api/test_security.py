"""Hostile requests (security review): gates that cannot be side-stepped, bodies and strings that
cannot crash an answer, and nothing internal (tracebacks, paths) in what a caller reads."""

from __future__ import annotations

import json

import pytest

OUTSIDE = "198.51.100.7"


def test_extra_leading_slashes_meet_the_same_gates(make_client):
    # falcon routes `//api/v1/task` to the /api/v1/task responder: the gates must see it too.
    client, _ = make_client()
    for path in ("//api/v1/task", "///api/v1/task/stats", "//ui/overview"):
        result = client.simulate_get(path, remote_addr=OUTSIDE)
        assert result.status_code == 401 and result.json["code"] == 40101, path
    starter, _ = make_client(plan="Starter")
    result = starter.simulate_get("//api/v1/task")
    assert result.status_code == 403 and result.json["code"] == 40301
    assert starter.simulate_get("//api/v1/license/check").json["code"] == 40301


def _post_raw(client, body: bytes):
    return client.simulate_post("/api/v1/task", body=body,
                                headers={"Content-Type": "application/json"})


def test_deeply_nested_body_is_40001_not_an_internal_error(client):
    for depth in (40, 990, 100000):
        body = (b'{"script_name":"follow","serials":["A1"],"script_config":{"target_users":["x"],'
                b'"deep":' + b"[" * depth + b"]" * depth + b"}}")
        result = _post_raw(client, body)
        assert result.status_code == 400 and result.json["code"] == 40001, depth
        assert "nested more than" in result.json["message"]
    assert client.simulate_get("/api/v1/task").json["data"]["total"] == 0


def test_number_with_thousands_of_digits_is_named_plainly(client):
    result = _post_raw(client, b'{"script_name":"follow","serials":["A1"],"min_interval":1'
                       + b"0" * 5000 + b"}")
    assert result.json["code"] == 40001
    assert "thousands of digits" in result.json["message"]
    assert "sys." not in result.json["message"]


def test_lone_surrogate_escape_is_refused_and_a_real_pair_accepted(client):
    result = _post_raw(client, b'{"script_name":"follow","serials":["A1"],'
                               b'"script_config":{"target_users":["a\\udc80"]}}')
    assert result.status_code == 400 and result.json["code"] == 40001
    assert "surrogate" in result.json["message"]
    emoji = _post_raw(client, b'{"script_name":"follow","serials":["A1"],'
                              b'"script_config":{"target_users":["\\ud83d\\ude00"]}}')
    assert emoji.json["code"] == 0


def test_text_without_a_utf8_form_still_gets_an_envelope(services_client):
    # Stored before the API refused it (or by another path): reading it must not crash the answer.
    client, services = services_client
    created = services.tasks.create({"script_name": "account_warmup", "serials": ["A1"],
                                     "script_config": {"comment": "\udc80"}})
    task_id = created["task_ids"][0]
    for path in (f"/api/v1/task/{task_id}", "/api/v1/task", "/ui/overview"):
        result = client.simulate_get(path)
        assert result.status_code == 200 and result.json["code"] == 0, path
    assert client.simulate_get(f"/api/v1/task/{task_id}").json["data"]["script_config"][
        "comment"] == "\udc80"


def test_a_trailing_newline_does_not_satisfy_a_pattern(client):
    # Python's `$` also matches before a final newline; JSON Schema's does not.
    result = client.simulate_post("/api/v1/task", json={"script_name": "follow",
                                                        "serials": ["A1\n"]})
    assert result.json["code"] == 40001 and result.json["data"]["field"] == "serials[0]"
    result = client.simulate_post("/api/v1/account", json={"username": "bob",
                                                           "package_name": "com.example.app\n"})
    assert result.json["code"] == 40001 and result.json["data"]["field"] == "package_name"
    result = client.simulate_post("/api/v1/task", json={"script_name": "follow", "serials": ["A1"],
                                                        "start_time": "09:30\n"})
    assert result.json["code"] == 40001 and result.json["data"]["field"] == "start_time"
    fine = client.simulate_post("/api/v1/account", json={"username": "bob",
                                                         "package_name": "com.example.app"})
    assert fine.json["code"] == 0


def test_backup_name_too_long_or_deep_body_is_40001(client):
    result = client.simulate_post("/admin/db/backup", json={"path": "a" * 300})
    assert result.status_code == 400 and result.json["code"] == 40001
    assert "longer than 255" in result.json["message"]
    deep = client.simulate_post("/admin/db/backup", body=b'{"path":' + b"[" * 5000 + b"]" * 5000 + b"}",
                                headers={"Content-Type": "application/json"})
    assert deep.status_code == 400 and deep.json["code"] == 40001


def test_backup_that_cannot_be_written_says_why(services_client):
    client, services = services_client
    blocker = services.config.state_dir / "backups" / "taken"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where a folder is wanted")
    result = client.simulate_post("/admin/db/backup", json={"path": "taken/store.snap"})
    assert result.json["code"] == 50001 and "backups folder" in result.json["message"]
    assert "Traceback" not in result.text
    good = client.simulate_post("/admin/db/backup", json={"path": "ok.snap"})
    assert good.json["code"] == 0


def test_a_page_of_another_site_gets_no_free_pass_from_loopback(make_client):
    # A browser on the hub (or on a trusted network) visiting a hostile page must not let that
    # page create tasks or reboot phones with a "simple" cross-site POST.
    client, services = make_client(server_names=["hub.lan"])
    body = b'{"script_name":"follow","serials":["A1"],"script_config":{"target_users":["x"]}}'
    for headers in ({"Origin": "https://evil.example", "Content-Type": "text/plain"},
                    {"Origin": "null"},
                    {"Origin": "http://127.0.0.1:8080", "Host": "127.0.0.1:50809"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        result = client.simulate_post("/api/v1/task", body=body, headers=headers)
        assert result.status_code == 401 and result.json["code"] == 40101, headers
    assert client.simulate_get("/ui/overview",
                               headers={"Sec-Fetch-Site": "cross-site"}).json["code"] == 40101
    assert services.tasks.stats()["total"] == 0
    # the dashboard's own requests, clients without a browser, and callers with the token pass
    for headers in ({"Origin": "http://hub.lan:50809", "Host": "hub.lan:50809"},
                    {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {},
                    {"Origin": "https://evil.example",
                     "Authorization": "Bearer " + services.access._token.read()}):
        result = client.simulate_post("/api/v1/task", body=body, headers=headers)
        assert result.json["code"] == 0, headers


def test_script_config_copies_cannot_fill_the_store(client):
    # (options of the script: a field that is none is left out of the task, not stored)
    url = "https://www.tiktok.com/@x/video/1"
    big = {"target_post_url": url, "comment_content": ["a" * 2000] * 100}
    result = client.simulate_post("/api/v1/task", json={"script_name": "comment",
                                                        "serials": ["A1"], "script_config": big})
    assert result.json["code"] == 40001 and result.json["data"]["field"] == "script_config"
    assert "per task" in result.json["message"]
    # fine alone, too much when copied onto 1000 phones
    config = {"target_post_url": url, "comment_content": ["a" * 2000] * 25}
    serials = [f"S{i}" for i in range(1000)]
    result = client.simulate_post("/api/v1/task", json={"script_name": "comment",
                                                        "serials": serials, "script_config": config})
    assert result.json["code"] == 40001 and "Split the request" in result.json["message"]
    assert client.simulate_get("/api/v1/task").json["data"]["total"] == 0
    result = client.simulate_post("/api/v1/task", json={"script_name": "comment",
                                                        "serials": serials[:10], "script_config": config})
    assert result.json["code"] == 0 and result.json["data"]["created_count"] == 10


OPEN_ROUTES = {"/", "/docs", "/static/{name:path}", "/healthz",
               "/admin/db/backup"}   # admin: loopback itself
PLAN_OPEN = {"/api/v1/license/check", "/api/v1/openapi.json"}
SAMPLE = {"{task_id}": "1", "{account_id}": "1", "{serial}": "A1", "{name}": "index.html"}


def _routes(app):
    """(template, method) of every route in the app's router: new routes are checked too."""
    def walk(nodes):
        for node in nodes:
            if node.method_map:
                for method, responder in node.method_map.items():
                    if getattr(responder, "__name__", "").startswith("on_"):
                        yield node.uri_template, method
            yield from walk(node.children)
    return sorted(set(walk(app.app._router._roots)))


def _concrete(template):
    for name, value in SAMPLE.items():
        template = template.replace(name, value)
    return template


def test_every_route_is_behind_the_access_rule_and_the_plan_gate(make_client):
    client, _ = make_client()
    routes = _routes(client)
    assert len(routes) > 20
    for template, method in routes:
        result = client.simulate_request(method, _concrete(template), remote_addr=OUTSIDE,
                                         json={"task_ids": [1]})
        if template in OPEN_ROUTES:
            continue
        assert result.status_code == 401 and result.json["code"] == 40101, (method, template)
    starter, _ = make_client(plan="Starter")
    for template, method in routes:
        if not template.startswith("/api/v1/") or template in PLAN_OPEN:
            continue
        result = starter.simulate_request(method, _concrete(template), json={"task_ids": [1]})
        assert result.status_code == 403 and result.json["code"] == 40301, (method, template)


def test_a_store_error_answers_what_to_do_without_the_hubs_paths(services_client, monkeypatch):
    from appliance.errors import StoreError

    client, services = services_client
    secret = str(services.config.state_dir)

    def broken(*args, **kwargs):
        raise StoreError(f"cannot write the store in {secret}: [Errno 28] No space left on device")

    monkeypatch.setattr(services.store.tasks, "create_many", broken)
    result = client.simulate_post("/api/v1/task", json={
        "script_name": "follow", "serials": ["A1"], "script_config": {"target_users": ["x"]}})
    assert result.status_code == 500 and result.json["code"] == 50001
    assert secret not in result.text and "disk space" in result.json["message"]


def test_a_bad_boolean_in_a_query_names_its_field(client):
    result = client.simulate_get("/api/v1/account", params={"enabled": "maybe"})
    assert result.json["code"] == 40001 and result.json["data"]["field"] == "enabled"
    assert result.json["message"] == "Invalid parameter enabled: 'maybe' is not true or false."
    assert client.simulate_get("/api/v1/account", params={"logged_in": "False"}).json["code"] == 0


def test_backups_are_private_to_the_hubs_user(services_client):
    # A backup holds the accounts' passwords: other users of the box must not read it.
    client, services = services_client
    folder = services.config.state_dir / "backups"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)   # as an older version left it
    result = client.simulate_post("/admin/db/backup", json={"path": "nightly/one.snap"})
    assert result.json["code"] == 0
    written = folder / "nightly" / "one.snap"
    assert written.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700


def test_the_state_directory_is_closed_to_other_users(make_client, tmp_path):
    # Store snapshots hold the accounts' passwords; other users of the box must not get in.
    state = tmp_path / "open-state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    make_client(state_dir=str(state))
    assert state.stat().st_mode & 0o777 == 0o750


def test_a_name_that_merely_resolves_to_the_hub_gets_no_free_pass(make_client):
    # DNS rebinding: evil.example resolves to 127.0.0.1, so the browser calls it same-origin.
    client, services = make_client(server_names=["hub.lan"])
    body = b'{"script_name":"follow","serials":["A1"],"script_config":{"target_users":["x"]}}'
    for host in ("evil.example", "evil.example:50809", "127.0.0.1.evil.example", "localhost.evil"):
        result = client.simulate_post("/api/v1/task", body=body, headers={
            "Host": host, "Sec-Fetch-Site": "same-origin", "Origin": f"http://{host}"})
        assert result.status_code == 401 and result.json["code"] == 40101, host
        assert "server_names" in result.json["message"]
        assert client.simulate_get("/ui/overview", headers={"Host": host}).json["code"] == 40101
    assert services.tasks.stats()["total"] == 0
    # the hub's own names pass: loopback names and addresses, its IPs, configured names
    for host in ("localhost", "LOCALHOST:50809", "box.localhost", "127.0.0.1:50809", "[::1]:50809",
                 "192.168.1.20:50809", "hub.lan", "hub.lan.:50809"):
        result = client.simulate_post("/api/v1/task", body=body, headers={
            "Host": host, "Sec-Fetch-Site": "same-origin"})
        assert result.json["code"] == 0, host
    # with the token, any name works (a reverse proxy, a client using a DNS name)
    token = services.access._token.read()
    result = client.simulate_post("/api/v1/task", body=body, headers={
        "Host": "evil.example", "Authorization": f"Bearer {token}"})
    assert result.json["code"] == 0


def test_a_number_too_large_to_be_finite_is_refused_naming_its_field(client):
    # 1e400 parses as Infinity: stored, it was served back as invalid JSON to every reader.
    for raw, field in ((b'{"script_name":"follow","serials":["A1"],"min_interval":1e400}',
                        "min_interval"),
                       (b'{"script_name":"follow","serials":["A1"],"script_config":'
                        b'{"target_users":["x"],"n":[1,-1E999]}}', "script_config.n[1]")):
        result = client.simulate_post("/api/v1/task", body=raw,
                                      headers={"Content-Type": "application/json"})
        assert result.status_code == 400 and result.json["code"] == 40001, result.json
        assert result.json["data"]["field"] == field
        assert field in result.json["message"]
    assert client.simulate_get("/api/v1/task").json["data"]["total"] == 0
    # big finite numbers are still numbers
    result = client.simulate_post("/api/v1/task", body=b'{"script_name":"follow","serials":["A1"],'
                                  b'"script_config":{"target_users":["x"],"n":1e300}}')
    assert result.json["code"] == 0, result.json


def test_a_non_finite_number_already_in_the_store_is_served_as_valid_json(services_client):
    client, services = services_client
    task = services.store.tasks.create_many([{"serial": "A1", "script_name": "follow",
                                              "status": 0, "script_config": {"n": float("inf")}}])[0]

    def strict(text):
        return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in {text}"))

    body = strict(client.simulate_get(f"/api/v1/task/{task['id']}").text)
    assert body["code"] == 0 and body["data"]["script_config"]["n"] is None
    assert strict(client.simulate_get("/api/v1/task").text)["data"]["total"] == 1


def test_the_admin_backup_route_gives_no_pass_to_rebinding_or_other_sites(client):
    # Loopback alone is not enough: a page under a name that resolves to 127.0.0.1, or of
    # another site, could otherwise fill the disk with backups.
    for headers in ({"Host": "evil.example:50809"},
                    {"Host": "localhost:50809", "Sec-Fetch-Site": "cross-site"}):
        result = client.simulate_post("/admin/db/backup", json={"path": "x.snap"}, headers=headers)
        assert result.status_code == 401 and result.json["code"] == 40101, headers
    assert client.simulate_post("/admin/db/backup", json={"path": "x.snap"}).json["code"] == 0
