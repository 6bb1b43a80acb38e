"""The served OpenAPI document is valid OpenAPI 3 and covers every route the app answers."""

from __future__ import annotations

from openapi_spec_validator import validate

CONTRACT_ROUTES = {("/task", "post"), ("/task", "get"), ("/task/{task_id}", "get"),
                   ("/task/{task_id}", "delete"), ("/task/batch", "delete"),
                   ("/task/{task_id}/stop", "post"), ("/task/{task_id}/retry", "post"),
                   ("/task/retry-all", "post"), ("/task/stats", "get"),
                   ("/license/check", "get")}


def test_document_is_valid_openapi_and_lists_contract_routes(client):
    doc = client.simulate_get("/api/v1/openapi.json").json
    validate(doc)
    operations = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert CONTRACT_ROUTES <= operations


def test_request_schema_is_the_one_used_for_validation(client):
    doc = client.simulate_get("/api/v1/openapi.json").json
    schema = doc["paths"]["/task"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["start_time"]["pattern"]
    assert schema["properties"]["serials"]["maxItems"] == 1000


def test_each_script_config_has_its_schema_in_the_document(client):
    # The console builds its "new task" form from these; a client can validate before it sends.
    doc = client.simulate_get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    assert "task_duration" in schemas["ScriptConfig.account_warmup"]["properties"]
    assert {"ScriptConfig.follow", "ScriptConfig.post", "ScriptConfig.comment"} <= set(schemas)
