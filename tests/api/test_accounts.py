"""The /account family (issue 6) on the real app and store: CRUD, a unique username, the password
stored but never returned, validation naming the field, and the OpenAPI document."""

from tests.fixtures import make_tasks


def ok(result):
    assert result.status_code == 200 and result.json["code"] == 0, result.json
    return result.json["data"]


def err(result, status, code):
    assert (result.status_code, result.json["code"]) == (status, code), result.json
    return result.json["message"]


def test_create_list_get_patch_delete(services_client):
    client, services = services_client
    made = ok(client.simulate_post("/api/v1/account", json={
        "username": "@alice", "device": "127.0.0.1:40001", "password": "s3cret!",
        "email": "a@example.com", "tags": ["eu", "new"], "extra": "ignored"}))
    assert made["username"] == "alice" and made["device"] == "127.0.0.1:40001"
    assert (made["enabled"], made["logged_in"]) == (True, False)
    assert made["package_name"] == "com.zhiliaoapp.musically"
    assert made["has_password"] is True and "password" not in made and "extra" not in made
    assert services.store.accounts.get(made["id"])["password"] == "s3cret!"   # stored

    clone = ok(client.simulate_post("/api/v1/account", json={
        "username": "bob", "package_name": "com.zhiliaoapp.musically.go", "enabled": False}))
    listing = ok(client.simulate_get("/api/v1/account"))
    assert [a["username"] for a in listing["accounts"]] == ["alice", "bob"]
    assert listing["total"] == 2 and all("password" not in a for a in listing["accounts"])
    assert [a["username"] for a in ok(client.simulate_get(
        "/api/v1/account", params={"device": "127.0.0.1:40001"}))["accounts"]] == ["alice"]
    assert [a["username"] for a in ok(client.simulate_get(
        "/api/v1/account", params={"enabled": "false"}))["accounts"]] == ["bob"]
    assert [a["username"] for a in ok(client.simulate_get(
        "/api/v1/account", params={"tag": "eu"}))["accounts"]] == ["alice"]

    changed = ok(client.simulate_patch(f"/api/v1/account/{clone['id']}", json={
        "enabled": True, "device": "SERIAL9", "password": "new"}))
    assert (changed["enabled"], changed["device"], changed["has_password"]) == (True, "SERIAL9", True)
    assert "password" not in ok(client.simulate_get(f"/api/v1/account/{clone['id']}"))

    assert ok(client.simulate_delete(f"/api/v1/account/{clone['id']}")) == {
        "deleted_ids": [clone["id"]]}
    err(client.simulate_get(f"/api/v1/account/{clone['id']}"), 404, 40401)
    err(client.simulate_delete(f"/api/v1/account/{clone['id']}"), 404, 40401)
    again = ok(client.simulate_post("/api/v1/account", json={"username": "bob"}))
    assert again["id"] > clone["id"]                     # ids are never reused


def test_username_is_unique_and_fields_are_validated(client):
    ok(client.simulate_post("/api/v1/account", json={"username": "alice"}))
    assert "username" in err(client.simulate_post("/api/v1/account",
                                                  json={"username": "@alice"}), 400, 40001)
    other = ok(client.simulate_post("/api/v1/account", json={"username": "carol"}))
    assert "already exists" in err(client.simulate_patch(
        f"/api/v1/account/{other['id']}", json={"username": "alice"}), 400, 40001)
    assert "username" in err(client.simulate_post("/api/v1/account", json={}), 400, 40001)
    assert "enabled" in err(client.simulate_post("/api/v1/account", json={
        "username": "dave", "enabled": "yes"}), 400, 40001)
    assert "package_name" in err(client.simulate_post("/api/v1/account", json={
        "username": "dave", "package_name": "not a package; rm -rf /"}), 400, 40001)
    assert "device" in err(client.simulate_post("/api/v1/account", json={
        "username": "dave", "device": "bad serial $(id)"}), 400, 40001)
    err(client.simulate_patch(f"/api/v1/account/{other['id']}", json={}), 400, 40001)
    assert "account_id" in err(client.simulate_get("/api/v1/account/abc"), 400, 40001)
    err(client.simulate_put("/api/v1/account/1", json={}), 405, 40501)


def test_multi_account_tasks_use_enabled_bound_accounts(client):
    for name, enabled in (("a1", True), ("a2", True), ("a3", False)):
        ok(client.simulate_post("/api/v1/account", json={"username": name, "device": "PHONE1",
                                                         "enabled": enabled}))
    ids = make_tasks(client, serials=["PHONE1"], enable_multi_account=True)
    users = [ok(client.simulate_get(f"/api/v1/task/{i}"))["username"] for i in ids]
    assert users == ["a1", "a2"]
    result = client.simulate_post("/api/v1/task", json={
        "serials": ["PHONE2"], "script_name": "account_warmup", "enable_multi_account": True})
    err(result, 400, 40004)


def test_openapi_lists_the_account_routes(client):
    doc = client.simulate_get("/api/v1/openapi.json").json
    paths = doc["paths"]
    for path, method in (("/account", "get"), ("/account", "post"), ("/account/{account_id}", "get"),
                         ("/account/{account_id}", "patch"), ("/account/{account_id}", "delete")):
        assert paths[path][method]["tags"] == ["accounts"]
    body = paths["/account"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["username"] and "password" in body["properties"]
