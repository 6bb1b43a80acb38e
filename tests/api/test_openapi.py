"""The served OpenAPI document is valid OpenAPI 3 and covers every route the app answers."""

from __future__ import annotations

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

TIKMATRIX_PATHS = {("/task", "post"), ("/task", "get"), ("/task/{task_id}", "get"),
                   ("/task/{task_id}", "delete"), ("/task/batch", "delete"),
                   ("/task/{task_id}/stop", "post"), ("/task/{task_id}/retry", "post"),
                   ("/task/retry-all", "post"), ("/task/stats", "get"),
                   ("/license/check", "get")}


def test_document_is_valid_openapi_and_lists_contract_routes(client):
    doc = client.simulate_get("/api/v1/openapi.json").json
    validate(doc)
    operations = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert operations >= TIKMATRIX_PATHS


def test_request_schema_is_the_one_used_for_validation(client):
    doc = client.simulate_get("/api/v1/openapi.json").json
    schema = doc["components"]["schemas"]["CreateTask"]
    assert schema["properties"]["start_time"]["pattern"]
    assert schema["properties"]["serials"]["maxItems"] == 1000


def _resolver(doc):
    """A jsonschema validator factory that resolves the document's #/components refs."""
    from referencing import Registry, Resource

    registry = Registry().with_resource("urn:doc", Resource.from_contents(
        {**doc, "$schema": "https://json-schema.org/draft/2020-12/schema"}))

    def validator(schema):
        return Draft202012Validator(_rebase(schema), registry=registry)
    return validator


def _rebase(schema):
    """`schema` with its `#/...` refs pointing into the document (urn:doc)."""
    if isinstance(schema, dict):
        return {k: ("urn:doc" + v if k == "$ref" and v.startswith("#") else _rebase(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema


def test_create_task_body_is_discriminated_on_script_name(client):
    # A client sees script_name's values and, for each, the exact script_config it takes.
    doc = client.simulate_get("/api/v1/openapi.json").json
    body = doc["paths"]["/task"]["post"]["requestBody"]["content"]["application/json"]
    mapping = body["schema"]["discriminator"]["mapping"]
    names = doc["components"]["schemas"]["CreateTask"]["properties"]["script_name"]["enum"]
    assert {"follow", "post", "comment", "account_warmup"} <= set(names) == set(mapping)
    follow = doc["components"]["schemas"]["CreateTask.follow"]
    assert follow["properties"]["script_config"] == {
        "$ref": "#/components/schemas/ScriptConfig.follow"}
    validator = _resolver(doc)(body["schema"])
    assert validator.is_valid({"serials": ["S1"], "script_name": "follow",
                               "script_config": {"target_users": ["@user1"]}})
    # the follow script's option of the wrong type is now a schema error a client can see
    assert not validator.is_valid({"serials": ["S1"], "script_name": "follow",
                                   "script_config": {"access_method": "teleport"}})
    assert not validator.is_valid({"serials": ["S1"], "script_name": "no_such_script"})


def test_unknown_script_is_still_40003_listing_the_names(client):
    # The enum is the document's: the hub's own answer to an unknown script is unchanged.
    result = client.simulate_post("/api/v1/task", json={"serials": ["S1"], "script_name": "x"})
    assert result.status_code == 400 and result.json["code"] == 40003
    assert "follow" in result.json["message"]


def test_operations_have_ids_examples_and_links_that_resolve(client):
    doc = client.simulate_get("/api/v1/openapi.json").json
    operations = [(path, method, op) for path, ops in doc["paths"].items()
                  for method, op in ops.items()]
    ids = [op["operationId"] for _path, _method, op in operations]
    assert len(ids) == len(set(ids))
    make = _resolver(doc)
    for path, method, op in operations:
        for param in op.get("parameters", []):
            if param["in"] == "path" and param["name"].endswith("id"):
                assert param["schema"]["minimum"] == 1, (path, param)
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body and "example" in body:
            errors = list(make(body["schema"]).iter_errors(body["example"]))
            assert not errors, (path, method, errors[0].message)
        answer = op["responses"].get("200", {}).get("content", {}).get("application/json")
        if answer and "example" in answer:
            errors = list(make(answer["schema"]).iter_errors(answer["example"]))
            assert not errors, (path, method, errors[0].message)
        for name, link in op["responses"].get("200", {}).get("links", {}).items():
            target = [(p, o) for p, m, o in operations if o["operationId"] == link["operationId"]]
            assert target, (path, method, name)
            params = {p["name"] for p in target[0][1].get("parameters", [])}
            assert set(link["parameters"]) <= params, (path, method, name)
    # An example per operation, of its request and of its answer (a PNG screenshot aside; the
    # material routes are still being built).
    for path, method, op in operations:
        if op["tags"] == ["materials"] or path.endswith("/screenshot"):
            continue
        for content in (op["responses"]["200"]["content"],
                        op.get("requestBody", {}).get("content", {})):
            assert all("example" in media for media in content.values()), (path, method)
    created = doc["paths"]["/task"]["post"]["responses"]["200"]["links"]["GetTask"]
    assert created == {"operationId": "getTaskByTaskId",
                       "parameters": {"task_id": "$response.body#/data/task_ids/0"}}


def test_device_operations_document_unavailable_and_timeout(client):
    doc = client.simulate_get("/api/v1/openapi.json").json
    for path, ops in doc["paths"].items():
        if path.startswith("/device"):
            for op in ops.values():
                assert {"503", "504"} <= set(op["responses"]), path


def test_each_script_config_has_its_schema_in_the_document(client):
    # The console builds its "new task" form from these; a client can validate before it sends.
    doc = client.simulate_get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    assert "task_duration" in schemas["ScriptConfig.account_warmup"]["properties"]
    assert {"ScriptConfig.follow", "ScriptConfig.post", "ScriptConfig.comment"} <= set(schemas)


def _pointer(document, expression):
    """The value a link's `$response.body#/a/0/b` expression names in `document`."""
    value = document
    for part in expression.split("#", 1)[1].strip("/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def test_links_from_a_created_task_lead_to_that_task(client):
    doc = client.simulate_get("/api/v1/openapi.json").json
    created = client.simulate_post("/api/v1/task", json={
        "serials": ["S1"], "script_name": "account_warmup"}).json
    paths = {op["operationId"]: (path, method) for path, ops in doc["paths"].items()
             for method, op in ops.items()}
    links = doc["paths"]["/task"]["post"]["responses"]["200"]["links"]
    assert list(links) == ["GetTask", "StopTask", "RetryTask", "DeleteTask"]
    for name, link in links.items():   # found, stopped, retried, deleted: the created task
        path, method = paths[link["operationId"]]
        task_id = _pointer(created, link["parameters"]["task_id"])
        answer = client.simulate_request(method.upper(), "/api/v1" + path.replace(
            "{task_id}", str(task_id))).json
        assert answer["code"] == 0, (name, answer)
        assert task_id == created["data"]["task_ids"][0] and task_id in (
            answer["data"].get("id"), *answer["data"].get("deleted_ids", [])), (name, answer)
