"""GET /api/v1/events: live task, phone and plan changes as server-sent events, read over real
HTTP from a running hub; resume by Last-Event-ID; bounded readers that never slow the hub."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from contextlib import closing, contextmanager

import pytest

from appliance.api.events import EventStream
from appliance.services.events import TYPES, EventBus
from appliance.services.license import set_plan
from appliance.services.statefiles import ensure_token, rotate_token
from tests.fixtures import short_warmup, wait_for
from tests.hubkit import hub_config, running_hub

BODY = {"script_name": "account_warmup"}


class Reader:
    """One event stream read on its own thread; `events` are (event, id, data) as they came."""

    def __init__(self, hub, query: str = "", headers: dict | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", hub.server.port, timeout=30)
        self.conn.connect()
        self.sock = self.conn.sock   # the response keeps it open after the connection lets go
        self.conn.request("GET", "/api/v1/events" + query, headers=headers or {})
        self.resp = self.conn.getresponse()
        self.events: list[tuple[str, str | None, dict]] = []
        self.ended = threading.Event()
        if self.resp.status == 200:
            threading.Thread(target=self._read, name="test-sse-reader", daemon=True).start()
        else:
            self.ended.set()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            for raw in self.resp:
                line = raw.decode().rstrip("\n")
                if line:
                    name, _, value = line.partition(": ")
                    fields[name] = value
                elif "data" in fields:
                    self.events.append((fields["event"], fields.get("id"), json.loads(fields["data"])))
                    fields = {}
                else:
                    fields = {}
        except (OSError, http.client.HTTPException):
            pass
        finally:
            self.ended.set()

    def of(self, kind: str) -> list[dict]:
        return [data for event, _, data in list(self.events) if event == kind]

    def wait(self, kind: str, count: int, timeout: float = 20) -> list[dict]:
        return wait_for(lambda: len(self.of(kind)) >= count and self.of(kind), timeout,
                        message=f"{count} {kind} events (have {len(self.of(kind))})")

    def close(self) -> None:
        """Leave as a client does: the socket closes (FIN), whoever still holds it."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass   # the hub closed it first
        self.sock.close()
        self.conn.close()


@contextmanager
def reading(hub, query: str = "", headers: dict | None = None):
    reader = Reader(hub, query, headers)
    try:
        yield reader
    finally:
        reader.close()


def create(hub, serials) -> list[int]:
    _status, envelope = hub.call("POST", "/task", {**BODY, "serials": list(serials)})
    assert envelope["code"] == 0, envelope
    return envelope["data"]["task_ids"]


def changes(reader) -> list[tuple]:
    return [(d["task_id"], d["previous"], d["status_name"]) for d in reader.of("task_status")]


@pytest.mark.phones   # starts a hub
def test_each_status_change_arrives_once_in_order_with_increasing_ids(tmp_path):
    with running_hub(hub_config(tmp_path)) as hub, reading(hub) as reader:
        first, second = create(hub, ["A1", "A2"])
        hub.call("POST", f"/task/{first}/stop")
        hub.call("POST", f"/task/{first}/retry")
        hub.call("DELETE", f"/task/{second}")
        reader.wait("task_status", 5)
        assert changes(reader) == [(first, None, "pending"), (second, None, "pending"),
                                   (first, 0, "failed"), (first, 3, "pending"),
                                   (second, 0, "deleted")]
        data = reader.of("task_status")
        assert data[0] == {"action": "task_status", "task_id": first, "serial": "A1",
                           "status": 0, "status_name": "pending", "previous": None}
        assert data[-1]["status"] is None
        runs, seqs = zip(*(i.rsplit("-", 1) for _, i, _ in reader.events), strict=False)
        assert len(set(runs)) == 1
        assert [int(n) for n in seqs] == list(range(int(seqs[0]), int(seqs[0]) + 5))


def test_a_warmup_on_simulated_phones_shows_every_state_and_the_phone_list(phone_hub):
    hub = phone_hub(2)
    with reading(hub.handle) as reader:
        ids = hub.create(hub.serials, short_warmup()) + hub.create(hub.serials, short_warmup())
        for task_id in ids:
            hub.wait_status(task_id, 2, 3)
        reader.wait("task_status", 3 * len(ids))
        for task_id in ids:
            assert [c[1:] for c in changes(reader) if c[0] == task_id] == [
                (None, "pending"), (0, "running"), (1, "completed")], task_id
        serial = hub.serials[0]
        hub.services.engine.client.disconnect(serial)
        reader.wait("reload_devices", 1)
        assert reader.of("device_status")[-1] == {"action": "device_status", "serial": serial,
                                                   "state": "absent"}
        hub.services.engine.client.connect(serial, timeout=10)
        back = reader.wait("reload_devices", 2)[1]["data"]   # listed again (offline at first)
        assert back["serial"] == serial and back["state"] != "absent"
        wait_for(lambda: [d["state"] for d in reader.of("device_status")
                          if d["serial"] == serial][-1] == "device", 20,
                 message="the phone back in state device")


@pytest.mark.phones   # starts a hub
def test_last_event_id_resumes_with_exactly_the_missed_events(tmp_path):
    with running_hub(hub_config(tmp_path)) as hub:
        with reading(hub) as first:
            create(hub, ["A1"])
            first.wait("task_status", 1)
        last_id = first.events[-1][1]
        missed = create(hub, ["B1", "B2", "B3"])
        for ask in ({"headers": {"Last-Event-ID": last_id}}, {"query": f"?last_event_id={last_id}"}):
            with reading(hub, **ask) as again:
                again.wait("task_status", len(missed))
                create_after = create(hub, ["C1"])
                again.wait("task_status", len(missed) + 1)
                assert [d["task_id"] for d in again.of("task_status")] == missed + create_after
                assert again.of("reset") == []
            missed = missed + create_after


@pytest.mark.phones   # starts a hub
def test_an_id_the_ring_no_longer_holds_gets_reset_and_a_bad_one_40001(tmp_path):
    with running_hub(hub_config(tmp_path, event_buffer=10)) as hub:
        with reading(hub) as first:
            create(hub, ["A1"])
            first.wait("task_status", 1)
        create(hub, [f"B{i}" for i in range(12)])     # the ring keeps the last 10
        for stale in (first.events[-1][1], "0badc0de-1"):   # too old; another run of the hub
            with reading(hub, headers={"Last-Event-ID": stale}) as reader:
                reset = reader.wait("reset", 1)[0]
                assert "read the tasks and devices again" in reset["message"]
                assert reader.of("task_status") == []
                tail = create(hub, ["C1"])
                assert reader.wait("task_status", 1)[0]["task_id"] == tail[0]
        with reading(hub, headers={"Last-Event-ID": "not-an-id"}) as reader:
            assert reader.resp.status == 400
            body = json.loads(reader.resp.read())
            assert (body["code"], body["data"]) == (40001, {"field": "last_event_id"})


@pytest.mark.phones   # starts a hub
def test_a_stalled_reader_is_dropped_and_never_slows_the_hub(tmp_path):
    with running_hub(hub_config(tmp_path, threads=4)) as hub, reading(hub) as steady:
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # before connect: small
        with closing(stalled):
            stalled.connect(("127.0.0.1", hub.server.port))
            stalled.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
            bus = hub.services.events.bus
            wait_for(lambda: bus.subscribers == 2, 10, message="both readers subscribed")
            slowest, ids = 0.0, []
            for batch in range(20):
                began = time.monotonic()
                ids += create(hub, [f"S{batch}-{i}" for i in range(100)])
                slowest = max(slowest, time.monotonic() - began)
            assert len(ids) == 2000
            assert slowest < 3.0, f"creating 100 tasks took {slowest:.2f} s with a stalled reader"
            wait_for(lambda: bus.subscribers == 1, 20, message="the stalled reader dropped")
            # the steady reader, alongside, got every one of them
            steady.wait("task_status", 2000)
            assert [d["task_id"] for d in steady.of("task_status")] == ids
            assert steady.of("dropped") == steady.of("reset") == []
            # what the stalled one finally reads ends with its notice
            stalled.settimeout(10)
            got = b""
            while b"event: dropped" not in got:
                chunk = stalled.recv(1 << 16)
                assert chunk, "the connection closed before the dropped notice"
                got += chunk


@pytest.mark.phones   # starts a hub
def test_beyond_event_subscribers_the_answer_is_50301_until_one_leaves(tmp_path):
    with running_hub(hub_config(tmp_path, event_subscribers=2)) as hub:
        bus = hub.services.events.bus
        with reading(hub) as one, reading(hub):
            wait_for(lambda: bus.subscribers == 2, 10, message="two streams open")
            status, envelope = hub.call("GET", "/events")
            assert (status, envelope["code"]) == (503, 50301)
            assert "event_subscribers" in envelope["message"]
            assert hub.call("GET", "/task/stats")[0] == 200   # the API answers regardless
            one.close()
            # the hub sees the client leave (no write needed) and frees its place
            wait_for(lambda: bus.subscribers == 1, 5, message="the closed stream's place freed")
            with reading(hub) as third:
                assert third.resp.status == 200


@pytest.mark.phones   # starts a hub
def test_types_filter_and_plan_changes(tmp_path):
    config = hub_config(tmp_path)
    with running_hub(config) as hub, reading(hub, "?types=reload_license") as reader:
        create(hub, ["A1"])
        set_plan(config.state_dir, "Team")
        changed = reader.wait("reload_license", 1)[0]["data"]
        assert (changed["plan_name"], changed["device_limit"]) == ("Team", 50)
        assert reader.of("task_status") == []
        # a plan without the API tells, then ends the stream as the plan gate would refuse it
        set_plan(config.state_dir, "Starter")
        assert reader.ended.wait(10)
        assert reader.events[-2][0] == "reload_license"
        assert reader.events[-1][0] == "closed" and reader.events[-1][2]["code"] == 40301
        status, envelope = hub.call("GET", "/events")
        assert (status, envelope["code"]) == (403, 40301)


def test_bad_types_name_the_field(client):
    result = client.simulate_get("/api/v1/events", params={"types": "task_status,bogus"})
    assert result.status_code == 400
    assert result.json["code"] == 40001 and result.json["data"] == {"field": "types"}
    assert "'bogus'" in result.json["message"] and all(t in result.json["message"] for t in TYPES)


@pytest.mark.phones   # starts a hub
def test_the_token_rule_holds_at_connect_and_while_streaming(tmp_path):
    config = hub_config(tmp_path)
    foreign = {"Host": "hub.example"}   # a name the hub does not know: no free pass, token needed
    with running_hub(config) as hub:
        with reading(hub, headers=foreign) as refused:
            assert refused.resp.status == 401
        token = ensure_token(config.state_dir)
        with reading(hub, headers={**foreign, "Authorization": f"Bearer {token}"}) as reader:
            assert reader.resp.status == 200
            rotate_token(config.state_dir)
            assert reader.ended.wait(10)
            assert reader.events[-1][0] == "closed" and reader.events[-1][2]["code"] == 40101


@pytest.mark.phones   # starts a hub
def test_a_quiet_stream_outlives_the_idle_deadline_and_sends_heartbeats(tmp_path, monkeypatch):
    with running_hub(hub_config(tmp_path, idle_timeout=1)) as hub, reading(hub) as reader:
        time.sleep(2.5)   # the deadline under test passes: idle connections are closed after 1 s
        task_id = create(hub, ["A1"])[0]
        assert reader.wait("task_status", 1)[0]["task_id"] == task_id
    monkeypatch.setattr(EventStream, "heartbeat_seconds", 0.2)
    with running_hub(hub_config(tmp_path)) as hub, reading(hub) as reader:
        beats = reader.wait("heartbeat", 3)
        assert all(set(b) == {"action", "time"} for b in beats)
        assert all(i is None for e, i, _ in reader.events if e == "heartbeat")  # resume unmoved


@pytest.mark.phones   # starts a hub
def test_stopping_the_hub_ends_open_streams_promptly(tmp_path):
    config = hub_config(tmp_path, shutdown_timeout=10)
    with running_hub(config) as hub:
        readers = [Reader(hub) for _ in range(3)]
        wait_for(lambda: hub.services.events.bus.subscribers == 3, 10, message="three streams")
        began = time.monotonic()
    took = time.monotonic() - began
    assert took < 5, f"stopping took {took:.1f} s with streams open"
    for reader in readers:
        assert reader.ended.wait(5)
        assert reader.events[-1][0] == "closed"
        reader.close()


def test_publish_never_waits_for_a_reader_that_does_not_read():
    bus = EventBus(buffer=100, max_subscribers=1)
    idle = bus.subscribe()
    began = time.monotonic()
    for n in range(20000):
        bus.publish("task_status", {"task_id": n})
    assert time.monotonic() - began < 2
    events, lost = idle.next(0)
    assert (events, lost) == ([], True)   # it fell behind the ring: told to re-read
    bus.publish("task_status", {"task_id": -1})
    events, lost = idle.next(0)
    assert [e.data["task_id"] for e in events] == [-1] and not lost


def test_outside_the_hubs_own_server_the_stream_is_refused_not_a_500(client):
    # falcon's TestClient is another WSGI server: it cannot tell a stalled or departed reader.
    answer = client.simulate_get("/api/v1/events")
    assert answer.status_code == 503 and answer.json["code"] == 50301
    assert "appliance serve" in answer.json["message"]


def test_a_last_event_id_with_other_digits_is_40001_not_a_500(client):
    # '²' passes str.isdigit but not int(): it once became an internal error.
    answer = client.simulate_get("/api/v1/events", params={"last_event_id": "x-\u00b2"})
    assert answer.status_code == 400 and answer.json["code"] == 40001
    assert answer.json["data"]["field"] == "last_event_id"
