"""Hostile requests (security review): gates that cannot be side-stepped, bodies and strings that
cannot crash an answer, and nothing internal (tracebacks, paths) in what a caller reads."""

from __future__ import annotations

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
