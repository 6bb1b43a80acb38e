"""The TaskRepo seam (docs/ARCHITECTURE.md, storage) as one contract, run against both the real
`TaskRepo` (a store on disk) and the engine tests' in-memory `FakeTasks`, so the fake cannot drift
from what the engine and services meet in production. No phones, no threads of our own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.errors import InvalidParams
from appliance.storage import Store
from tests.engine.fakes import FakeTasks

PENDING, RUNNING, COMPLETED, FAILED = 0, 1, 2, 3


@pytest.fixture(params=["real", "fake"])
def tasks(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "fake":
        yield FakeTasks()
        return
    store = Store.open(tmp_path / "state")
    try:
        yield store.tasks
    finally:
        store.close()


def task(serial: str = "A1", status: int = PENDING, **fields: Any) -> dict[str, Any]:
    return {"serial": serial, "username": None, "script_name": "noop", "script_config": {"n": [1]},
            "status": status, "source": "api", "remark": "", "finished_at": None, **fields}


def ids(docs: list[dict[str, Any]]) -> list[int]:
    return [d["id"] for d in docs]


# --- create_many, get ---
def test_create_many_assigns_fresh_ascending_ids_never_reused(tasks: Any) -> None:
    made = tasks.create_many([task("A1"), task("B2")])
    assert [d["serial"] for d in made] == ["A1", "B2"]
    first, second = ids(made)
    assert second > first
    assert made[0] == {**task("A1"), "id": first}
    assert tasks.delete_many([second]) == [second]
    (third,) = ids(tasks.create_many([task("C3")]))
    assert third > second   # the deleted highest id is not handed out again


def test_create_many_is_all_or_nothing(tasks: Any) -> None:
    with pytest.raises(InvalidParams):
        tasks.create_many([task("A1"), "not a task"])
    assert tasks.list({}, 0, 10) == ([], 0)
    assert tasks.stats()["total"] == 0


def test_get_returns_a_copy_or_none(tasks: Any) -> None:
    (made,) = tasks.create_many([task("A1")])
    got = tasks.get(made["id"])
    assert got == made
    got["script_config"]["n"].append(2)
    got["status"] = FAILED
    assert tasks.get(made["id"]) == made   # mutating what was handed out changes nothing
    assert tasks.get(made["id"] + 1000) is None


# --- list ---
def test_list_is_newest_first_with_paging_and_total(tasks: Any) -> None:
    made = ids(tasks.create_many([task(f"S{n}") for n in range(7)]))
    page, total = tasks.list({}, 0, 3)
    assert (ids(page), total) == (made[::-1][:3], 7)
    page, total = tasks.list({}, 3, 3)
    assert (ids(page), total) == (made[::-1][3:6], 7)
    page, total = tasks.list({}, 6, 3)
    assert (ids(page), total) == (made[:1], 7)
    assert tasks.list({}, 7, 3) == ([], 7)
    assert tasks.list({}, 0, 0) == ([], 7)


def test_list_filters_by_equality_any_of_a_frozenset_and_ignores_none(tasks: Any) -> None:
    a, b, c, d = ids(tasks.create_many([
        task("A1"), task("B2", status=RUNNING), task("A1", status=FAILED, username="u1"),
        task("C3", source="ui", script_name="follow")]))
    assert ids(tasks.list({"serial": "A1"}, 0, 10)[0]) == [c, a]
    assert ids(tasks.list({"status": PENDING}, 0, 10)[0]) == [d, a]
    assert ids(tasks.list({"status": FAILED, "serial": "A1"}, 0, 10)[0]) == [c]
    assert ids(tasks.list({"serial": frozenset({"A1", "B2"})}, 0, 10)[0]) == [c, b, a]
    assert ids(tasks.list({"serial": frozenset({"A1"}), "status": frozenset({0, 3})}, 0, 10)[0]) == [c, a]
    assert ids(tasks.list({"username": "u1"}, 0, 10)[0]) == [c]
    assert ids(tasks.list({"source": "ui", "script_name": "follow"}, 0, 10)[0]) == [d]
    assert ids(tasks.list({"serial": None, "status": RUNNING}, 0, 10)[0]) == [b]
    assert tasks.list({"serial": "nobody"}, 0, 10) == ([], 0)
    assert tasks.list({"serial": "A1"}, 0, 1)[1] == 2


def test_list_refuses_a_field_it_cannot_filter_by(tasks: Any) -> None:
    tasks.create_many([task()])
    with pytest.raises(InvalidParams, match="remark"):
        tasks.list({"remark": ""}, 0, 10)


# --- update ---
def test_update_with_a_dict_merges_fields_and_keeps_the_id(tasks: Any) -> None:
    (made,) = tasks.create_many([task("A1")])
    updated = tasks.update(made["id"], {"status": RUNNING, "remark": "go", "id": 999, "_x": 1})
    assert updated == {**made, "status": RUNNING, "remark": "go", "_x": 1}
    assert tasks.get(made["id"]) == updated
    assert tasks.get(999) is None
    assert tasks.update(made["id"] + 1000, {"status": FAILED}) is None


def test_update_with_a_callable_is_compare_and_set(tasks: Any) -> None:
    (made,) = tasks.create_many([task("A1")])
    seen: list[dict[str, Any]] = []

    def start(doc: dict[str, Any]) -> dict[str, Any] | None:
        seen.append(doc)
        return {"status": RUNNING} if doc["status"] == PENDING else None

    assert tasks.update(made["id"], start)["status"] == RUNNING
    assert seen[0] == made   # it sees the current document
    again = tasks.update(made["id"], start)   # no longer pending: no change
    assert again == {**made, "status": RUNNING}

    def refuse(doc: dict[str, Any]) -> dict[str, Any]:
        doc["remark"] = "scribbled on the copy"
        raise InvalidParams("not now")

    with pytest.raises(InvalidParams):
        tasks.update(made["id"], refuse)
    assert tasks.get(made["id"]) == {**made, "status": RUNNING}
    assert tasks.update(made["id"] + 1000, start) is None


# --- delete_many ---
def test_delete_many_returns_the_ids_that_existed_in_the_order_given(tasks: Any) -> None:
    a, b, c = ids(tasks.create_many([task("A1"), task("B2"), task("C3")]))
    tasks.append_log(b, {"message": "x"}, 10)
    assert tasks.delete_many([c, 12345, a, c]) == [c, a]
    assert tasks.get(a) is None and tasks.get(c) is None
    assert tasks.delete_many([b]) == [b]
    assert tasks.logs(b) == []   # its logs went with it
    assert tasks.delete_many([b]) == []
    assert tasks.list({}, 0, 10) == ([], 0)


# --- stats, ids_where, queues ---
def test_stats_count_each_status(tasks: Any) -> None:
    assert tasks.stats() == {"total": 0, "pending": 0, "running": 0, "completed": 0, "failed": 0}
    made = ids(tasks.create_many([task(status=s) for s in (0, 0, 1, 2, 3, 3, 3)]))
    assert tasks.stats() == {"total": 7, "pending": 2, "running": 1, "completed": 1, "failed": 3}
    tasks.update(made[0], {"status": COMPLETED})
    tasks.delete_many([made[-1]])
    assert tasks.stats() == {"total": 6, "pending": 1, "running": 1, "completed": 2, "failed": 2}


def test_ids_where_is_ascending(tasks: Any) -> None:
    a, b, c, d = ids(tasks.create_many([task("A1"), task("B2"), task("A1", status=RUNNING),
                                        task("A1")]))
    assert tasks.ids_where() == [a, b, c, d]
    assert tasks.ids_where(status=PENDING) == [a, b, d]
    assert tasks.ids_where(serial="A1") == [a, c, d]
    assert tasks.ids_where(status=PENDING, serial="A1") == [a, d]
    assert tasks.ids_where(status=FAILED) == []


def test_queues_are_pending_ids_per_phone_oldest_first(tasks: Any) -> None:
    a, b, c, d, _e = ids(tasks.create_many([
        task("A1"), task("B2"), task("A1"), task("C3", status=RUNNING), task("B2", status=FAILED)]))
    assert tasks.queues() == {"A1": [a, c], "B2": [b]}
    assert tasks.queues(["A1", "C3", "Z9"]) == {"A1": [a, c]}   # no pending: left out
    tasks.update(a, {"status": RUNNING})
    tasks.update(d, {"status": PENDING})
    assert tasks.queues() == {"A1": [c], "B2": [b], "C3": [d]}
    assert tasks.queues([]) == {}


# --- logs ---
def test_append_log_keeps_the_last_lines_up_to_the_limit(tasks: Any) -> None:
    (made,) = tasks.create_many([task()])
    for n in range(5):
        tasks.append_log(made["id"], {"n": n, "at": "t"}, 3)
    assert tasks.logs(made["id"]) == [{"n": 2, "at": "t"}, {"n": 3, "at": "t"}, {"n": 4, "at": "t"}]
    tasks.logs(made["id"])[0]["n"] = 99   # a copy
    assert tasks.logs(made["id"])[0]["n"] == 2
    tasks.append_log(made["id"], {"n": 5}, 1)
    assert tasks.logs(made["id"]) == [{"n": 5}]


def test_logs_of_a_missing_task_are_empty_and_not_kept(tasks: Any) -> None:
    tasks.append_log(4242, {"n": 1}, 10)
    assert tasks.logs(4242) == []
    (made,) = tasks.create_many([task()])
    assert tasks.logs(made["id"]) == []


# --- subscribe ---
def test_subscribe_tells_creation_status_changes_and_deletion(tasks: Any) -> None:
    calls: list[tuple[int, str | None, int | None, int | None]] = []
    tasks.subscribe(lambda *args: calls.append(args))
    a, b = ids(tasks.create_many([task("A1"), task("B2")]))
    tasks.update(a, {"remark": "no status change"})
    tasks.update(a, {"status": RUNNING})
    tasks.update(a, lambda doc: {"status": COMPLETED})
    tasks.update(b, lambda doc: None)
    tasks.delete_many([a, b])
    assert calls == [(a, "A1", None, PENDING), (b, "B2", None, PENDING),
                     (a, "A1", PENDING, RUNNING), (a, "A1", RUNNING, COMPLETED),
                     (a, "A1", COMPLETED, None), (b, "B2", PENDING, None)]


def test_subscribe_is_not_told_of_a_write_that_failed(tasks: Any) -> None:
    calls: list[tuple[Any, ...]] = []
    tasks.subscribe(lambda *args: calls.append(args))
    with pytest.raises(InvalidParams):
        tasks.create_many([task("A1"), 7])
    # The real store undoes a failed write and tells the undo too: the calls end where the
    # store is. Either way, nothing may be left that the store does not hold.
    created = {c[0] for c in calls if c[2] is None and c[3] is not None}
    deleted = {c[0] for c in calls if c[3] is None}
    assert created == deleted
