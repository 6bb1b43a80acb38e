"""What GET /device says of a phone, without adb: a stall kept over adb's "device" until a check
answers, the hub's holds (engine hold, quarantine, hot) with their end, and serials remembered."""

from appliance.devices import DeviceTracker
from appliance.devices.info import iso
from appliance.devices.seen import SeenPhones
from tests.fixtures import MemoryStore

T0 = 1_800_000_000.0


def tracker_at(moment: list[float]) -> tuple[DeviceTracker, list]:
    tracker = DeviceTracker(clock=lambda: moment[0])
    events: list = []
    tracker.subscribe(lambda serial, state: events.append((serial, state)))
    return tracker, events


def test_a_stall_holds_over_adbs_device_until_a_check_answers():
    moment = [T0]
    tracker, events = tracker_at(moment)
    tracker.apply({"A1": "device"})
    tracker.stalled("A1", T0 + 5)
    info = tracker.get("A1")
    assert (info.state, info.adb_state, info.usable) == ("stalled", "device", False)
    shown = info.to_dict()
    assert shown["stalled_since"] == iso(T0 + 5)
    assert "not answered adb since" in shown["unusable_reason"]
    assert events[-1] == ("A1", "stalled") and tracker.list("stalled")[0].serial == "A1"

    tracker.stalled("A1", T0 + 20)                 # still no answer: the first moment is kept
    tracker.apply({"A1": "device"})                # adb cannot tell a stalled phone from a good one
    assert tracker.get("A1").state == "stalled" and tracker.get("A1").stalled_since == T0 + 5

    tracker.set_health("A1", {"temperature": 30.0}, hot=False)   # a check answered
    info = tracker.get("A1")
    assert (info.state, info.stalled_since, info.usable) == ("device", None, True)
    assert events[-1] == ("A1", "device")


def test_a_stall_ends_with_the_link_and_only_a_listed_phone_stalls():
    tracker, _events = tracker_at([T0])
    tracker.apply({"A1": "device", "B2": "unauthorized"})
    tracker.stalled("A1", T0)
    tracker.apply({"A1": "offline", "B2": "unauthorized"})
    tracker.apply({"A1": "device", "B2": "unauthorized"})   # a new link: not stalled any more
    assert tracker.get("A1").state == "device" and tracker.get("A1").stalled_since is None
    tracker.stalled("B2", T0)
    assert tracker.get("B2").state == "unauthorized" and tracker.get("B2").stalled_since is None
    assert "RSA" in tracker.get("B2").unusable_reason


def test_an_engine_hold_shows_its_reason_and_end_and_runs_out():
    moment = [T0]
    tracker, events = tracker_at(moment)
    tracker.apply({"A1": "device"})
    tracker.hold("A1", "task 7 lost the phone", 30)
    info = tracker.get("A1")
    assert not info.usable and not tracker.usable("A1")
    assert events[-1] == ("A1", "device")          # subscribers hear of the usability change
    held = info.to_dict()["held"]
    assert "task 7 lost the phone" in held["reason"] and held["until"] == iso(T0 + 30)
    assert "task 7 lost the phone: no new tasks until" in info.unusable_reason
    moment[0] = T0 + 31
    assert tracker.usable("A1") and tracker.get("A1").to_dict()["held"] is None


def test_a_hold_ends_when_the_phone_comes_back_but_not_on_a_resync():
    tracker, _events = tracker_at([T0])
    tracker.apply({"A1": "device"})
    tracker.hold("A1", "task 7 lost the phone", 30)
    tracker.mark_unknown()
    tracker.apply({"A1": "device"})
    assert tracker.get("A1").held is not None
    tracker.apply({"A1": "offline"})
    tracker.apply({"A1": "device"})
    assert tracker.get("A1").held is None and tracker.usable("A1")


def test_quarantine_and_heat_are_holds_without_an_end():
    tracker, _events = tracker_at([T0])
    tracker.apply({"A1": "device"})
    tracker.hold("A1", "task 7 lost the phone", 30)
    tracker.quarantine("A1", "task 9 did not stop within 3 s")
    held = tracker.get("A1").held
    assert "quarantined (task 9 did not stop within 3 s)" in held["reason"]
    assert "task 7 lost the phone" in held["reason"] and held["until"] is None
    tracker.set_health("B0", {}, hot=True)         # unknown phone: ignored
    tracker.apply({"A1": "device", "B2": "device"})
    tracker.set_health("B2", {"temperature": 52.0}, hot=True)
    held = tracker.get("B2").to_dict()["held"]
    assert "hot (52.0 C)" in held["reason"] and held["until"] is None
    assert tracker.get("B2").unusable_reason.startswith("the phone is hot (52.0 C)")


def test_new_serials_are_remembered_before_anyone_sees_them_listed():
    tracker, _events = tracker_at([T0])
    told = []
    tracker.on_new_serials = lambda serials: told.append(
        (serials, [tracker.known(s) for s in serials]))
    tracker.apply({"A1": "device", "B2": "offline"})
    tracker.apply({"A1": "device", "B2": "device", "C3": "unauthorized"})
    assert told == [(["A1", "B2"], [False, False]), (["C3"], [False])]

    def broken(serials):
        raise OSError("disk full")
    tracker.on_new_serials = broken
    tracker.apply({"D4": "device"})                # tracking goes on
    assert tracker.get("D4").state == "device"


def test_seen_phones_are_kept_bounded_and_count_tcp_phones_the_hub_connected():
    store = MemoryStore()
    store.meta.set("tcp_devices", ["10.0.0.9:5555"])
    seen = SeenPhones(store, limit=3)
    assert seen.record(["A1", "B2", "A1"]) == ["A1", "B2"]
    assert seen.record(["B2", "C3", "D4"]) == ["C3", "D4"]
    assert store.meta.get("seen_phones") == ["B2", "C3", "D4"]   # the oldest went first
    assert SeenPhones(store).unknown(["A1", "D4", "10.0.0.9:5555", "E5", "E5"]) == ["A1", "E5"]


def test_usable_serials_are_the_phones_that_get_tasks_now():
    moment = [T0]
    tracker, _events = tracker_at(moment)
    tracker.apply({"A1": "device", "B2": "device", "C3": "offline", "D4": "device"})
    tracker.stalled("B2", T0)
    tracker.hold("D4", "task 7 lost the phone", 30)
    assert tracker.usable_serials() == {"A1"}
    moment[0] = T0 + 30
    assert tracker.usable_serials() == {"A1", "D4"}
