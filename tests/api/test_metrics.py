"""`GET /metrics` (Prometheus text) and the access log: what an operator's Prometheus and log see.

Latency histograms are process-wide (tests share a process), so their assertions are deltas;
task counts belong to each hub and are asserted exactly.
"""

from __future__ import annotations

import logging
import re
import urllib.request

from appliance.services.statefiles import ensure_token
from tests.fixtures import make_tasks
from tests.hubkit import Scrape, hub_config, running_hub

OUTSIDE = "198.51.100.7"
HTTP = "appliance_http_request_seconds"


def http_get(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.headers["Content-Type"], resp.read().decode()


def test_metrics_on_a_real_hub(tmp_path):
    with running_hub(hub_config(tmp_path)) as hub:
        base = hub.url.removesuffix("/api/v1")
        before = Scrape(http_get(base + "/metrics")[1])
        _status, answer = hub.call("POST", "/task", {"serials": ["A1", "A2"],
                                                    "script_name": "account_warmup"})
        assert answer["code"] == 0, answer
        content_type, text = http_get(base + "/metrics")
    assert content_type.startswith("text/plain; version=")
    after = Scrape(text)
    assert {"appliance_tasks", HTTP, "appliance_adb_call_seconds", "appliance_adb_errors",
            "appliance_store_fsync_seconds", "appliance_task_create_to_start_seconds",
            "appliance_task_run_seconds", "process_resident_memory_bytes"} <= after.families
    assert after.value("appliance_tasks", state="pending") == 2
    assert after.value("appliance_tasks", state="failed") == 0
    assert "appliance_phones" not in after.families   # adb off: no phones to count
    posted = {"route": "/api/v1/task", "method": "POST", "status": "200"}
    assert after.value(HTTP + "_count", **posted) == before.value(HTTP + "_count", **posted) + 1
    fsyncs = "appliance_store_fsync_seconds_count"
    assert after.value(fsyncs) > before.value(fsyncs)


def test_each_hub_counts_its_own_tasks(make_client):
    first, _ = make_client()
    second, _ = make_client()
    make_tasks(first, 3)
    make_tasks(second, 1)
    for client, pending in ((first, 3), (second, 1)):
        assert Scrape(client.simulate_get("/metrics").text).value(
            "appliance_tasks", state="pending") == pending


def test_routes_are_labelled_by_template_and_unknown_paths_by_one_label(client):
    client.simulate_get("/api/v1/task/987654")
    client.simulate_get("/no/such/place-5e1f")
    text = client.simulate_get("/metrics").text
    scrape = Scrape(text)
    assert scrape.value(HTTP + "_count", route="/api/v1/task/{task_id}", method="GET",
                        status="404") >= 1
    assert scrape.value(HTTP + "_count", route="(unmatched)", method="GET", status="404") >= 1
    # No raw path in any label (sample values are numbers and may hold any digits).
    labels = " ".join(re.findall(r"\{[^}]*\}", text))
    assert "987654" not in labels and "5e1f" not in labels


def test_metrics_follow_the_access_rule(make_client):
    client, services = make_client()
    refused = client.simulate_get("/metrics", remote_addr=OUTSIDE)
    assert refused.status_code == 401 and refused.json["code"] == 40101
    token = ensure_token(services.config.state_dir)
    allowed = client.simulate_get("/metrics", remote_addr=OUTSIDE,
                                  headers={"Authorization": f"Bearer {token}"})
    assert allowed.status_code == 200 and "appliance_tasks" in allowed.text
    # Not part of the Local API: a plan without the API still lets the operator scrape.
    starter, _ = make_client(plan="Starter")
    assert starter.simulate_get("/metrics").status_code == 200


def test_access_log_line_without_query_values_or_token(make_client, caplog):
    client, services = make_client()
    token = ensure_token(services.config.state_dir)
    with caplog.at_level(logging.INFO, logger="appliance.access"):
        client.simulate_get("/api/v1/task", query_string=f"status=1&token={token}",
                            remote_addr=OUTSIDE, headers={"Authorization": f"Bearer {token}"})
        client.simulate_get("/api/v1/task/424242\nFAKE 200")
    lines = [r.getMessage() for r in caplog.records if r.name == "appliance.access"]
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"{OUTSIDE} GET /api/v1/task?status&token 200 code=0 ")
    assert lines[0].endswith(" ms") and token not in lines[0]
    # A path cannot forge a log line: control characters stay escaped.
    assert lines[1].startswith("127.0.0.1 GET /api/v1/task/424242%0AFAKE%20200 400 code=40001 ")
