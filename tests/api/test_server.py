"""The hub on a real port: kill -9 durability, corrupt store at start, graceful SIGTERM."""

from __future__ import annotations

import http.client
import json
import signal
import threading

import pytest

from tests.fixtures import wait_for
from tests.hubkit import HubProcess, hub_config, running_hub


@pytest.mark.phones   # starts a hub
def test_every_acknowledged_task_survives_kill_9(tmp_path):
    state = tmp_path / "state"
    hub = HubProcess(state, "--no-adb").start()
    acknowledged = {}
    try:
        for i in range(15):
            status, body = hub.call("POST", "/task", {
                "serials": [f"P{i}", f"Q{i}"], "script_name": "account_warmup",
                "script_config": {"topic": f"cats {i} ✓"}, "min_interval": i, "max_interval": 20})
            assert status == 200 and body["code"] == 0
            for task_id in body["data"]["task_ids"]:
                acknowledged[task_id] = hub.call("GET", f"/task/{task_id}")[1]["data"]
    finally:
        hub.kill()  # SIGKILL right after the last answer
    again = HubProcess(state, "--no-adb").start()
    try:
        for task_id, before in acknowledged.items():
            status, body = again.call("GET", f"/task/{task_id}")
            assert status == 200, (task_id, body)
            assert body["data"] == before
        _, body = again.call("POST", "/task", {"serials": ["Z"], "script_name": "account_warmup"})
        assert body["data"]["task_ids"][0] > max(acknowledged)  # ids never reused
    finally:
        again.terminate()


def _stopped_hub_with_tasks(tmp_path, count: int = 5):
    """A state dir left by a hub that took `count` tasks and stopped cleanly."""
    state = tmp_path / "state"
    hub = HubProcess(state, "--no-adb").start()
    for i in range(count):
        hub.call("POST", "/task", {"serials": [f"P{i}"], "script_name": "account_warmup"})
    assert hub.terminate() == 0
    return state


@pytest.mark.phones   # starts a hub
def test_truncated_store_gives_a_clear_error_and_is_kept(tmp_path):
    state = _stopped_hub_with_tasks(tmp_path)
    files = [p for p in state.iterdir() if p.is_file() and p.stat().st_size > 64
             and p.name not in ("api-token", "plan", "lock")]
    assert files, list(state.iterdir())
    victim = max(files, key=lambda p: p.stat().st_size)
    original = victim.read_bytes()
    # Damage the middle of the file (a torn tail alone is legitimately recovered).
    damaged = original[: len(original) // 2] + b"\x00garbage\xff" + original[len(original) // 2 + 9:]
    victim.write_bytes(damaged)
    broken = HubProcess(state, "--no-adb")
    with pytest.raises(AssertionError) as failed:
        broken.start(timeout=30)
    message = str(failed.value)
    assert "Traceback" not in message
    assert victim.name in message or "corrupt" in message.lower()
    kept = [p for p in state.rglob("*") if p.is_file() and p.read_bytes() == damaged]
    assert kept, "the damaged file must be kept aside, not emptied"


def _slow_request(url: str, results: list, stopping: threading.Event) -> None:
    host, port = url.split("//")[1].split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    body = json.dumps({"serials": ["SLOW"], "script_name": "account_warmup"}).encode()
    conn.putrequest("POST", "/api/v1/task")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    conn.send(body[:10])
    results.append("sent-part")
    assert stopping.wait(30), "the hub never began stopping"
    conn.send(body[10:])   # the rest arrives after the stop began: an in-flight request
    resp = conn.getresponse()
    results.append((resp.status, json.loads(resp.read())))


@pytest.mark.phones   # starts a hub
def test_sigterm_finishes_in_flight_requests_and_exits_0(tmp_path):
    hub = HubProcess(tmp_path / "state", "--no-adb").start()
    results: list = []
    stopping = threading.Event()
    thread = threading.Thread(target=_slow_request, args=(hub.url, results, stopping))
    thread.start()
    wait_for(lambda: results, 10, message="the first part of the request sent")
    hub.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: any("stopping" in line for line in hub.log), 30, message="the hub to begin stopping")
    stopping.set()
    assert hub.proc.wait(30) == 0
    thread.join(30)
    status, body = results[-1]
    assert status == 200 and body["code"] == 0
    again = HubProcess(tmp_path / "state", "--no-adb").start()
    try:
        assert again.call("GET", "/task/stats")[1]["data"]["total"] == 1
    finally:
        again.terminate()


@pytest.mark.phones   # starts a hub
def test_in_process_hub_serves_and_stops(tmp_path):
    with running_hub(hub_config(tmp_path)) as hub:
        status, body = hub.call("GET", "/license/check")
        assert status == 200 and body["data"]["plan_name"] == "Pro"
        status, body = hub.call("GET", "/nope")
        assert status == 404 and body["code"] == 40401


@pytest.mark.phones   # starts a hub
def test_second_hub_on_the_same_state_dir_is_refused(tmp_path):
    hub = HubProcess(tmp_path / "state", "--no-adb").start()
    try:
        with pytest.raises(AssertionError) as failed:
            HubProcess(tmp_path / "state", "--no-adb").start(timeout=30)
        assert "another hub" in str(failed.value) or "in use" in str(failed.value)
    finally:
        hub.terminate()


@pytest.mark.phones   # starts a hub
def test_truncated_snapshot_gives_a_clear_error_and_is_kept(tmp_path):
    from appliance.storage import Store

    state = _stopped_hub_with_tasks(tmp_path)
    store = Store.open(state)
    store.compact()  # everything into the snapshot file
    store.close()
    snapshot = state / "store.snap"
    half = snapshot.read_bytes()[: snapshot.stat().st_size // 2]
    snapshot.write_bytes(half)
    with pytest.raises(AssertionError) as failed:
        HubProcess(state, "--no-adb").start(timeout=30)
    message = str(failed.value)
    assert "store.snap" in message and "Traceback" not in message
    assert any(p.read_bytes() == half for p in state.iterdir() if p.is_file())
