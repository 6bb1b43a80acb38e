"""Documents kept as compact records: every value comes back exactly as JSON would give it, after
writes, a reopen (journal replay) and a snapshot; equal strings are held once; phones' pending
queues follow every change; snapshots of the previous version still open."""

from __future__ import annotations

import json

from appliance.storage import Store
from appliance.storage.journal import frame
from appliance.storage.snapshot import SNAPSHOT_MAGIC, SNAPSHOT_NAME
from tests.fixtures import make_task

AWKWARD = {
    "serial": "S1", "status": 0, "one": 1, "float_one": 1.0, "yes": True, "no": False,
    "nothing": None, "empty": "", "text": "\u00e9t\u00e9 \U0001f600 \"quoted\"\n", "lone": "\ud800",
    "list": [1, 1.0, True, None, "1", [], {}], "object": {"2": {"b": [False]}, "a": 0.5},
    "json_looking": '{"a": 1}', "big": 2 ** 70, "negative": -3,
}


def reopen(store, store_factory):
    store.close()
    return store_factory()


def test_values_types_and_field_order_come_back_exactly(store, store_factory):
    (created,) = store.tasks.create_many([dict(AWKWARD)])
    expected = {**AWKWARD, "id": 1}
    for _ in range(2):
        for doc in (created, store.tasks.get(1), store.tasks.list({}, 0, 5)[0][0]):
            assert json.dumps(doc) == json.dumps(expected)   # types and order, not just ==
        store = reopen(store, store_factory)
        created = store.tasks.get(1)
    store.compact()
    store = reopen(store, store_factory)
    assert json.dumps(store.tasks.get(1)) == json.dumps(expected)


def test_a_change_of_type_alone_is_written(store, store_factory):
    store.tasks.create_many([make_task(retry_count=1, remark=[1])])
    store.tasks.update(1, {"retry_count": True, "remark": [1.0]})
    store = reopen(store, store_factory)
    doc = store.tasks.get(1)
    assert doc["retry_count"] is True and type(doc["remark"][0]) is float


def test_keys_that_are_not_strings_become_strings_as_in_json(store, store_factory):
    store.tasks.create_many([{1: "one", "nested": {2: "two"}}])
    expected = {"1": "one", "nested": {"2": "two"}, "id": 1}
    assert store.tasks.get(1) == expected
    assert reopen(store, store_factory).tasks.get(1) == expected


def test_equal_strings_of_many_tasks_are_held_once(store, store_factory):
    config = {"captions": ["a caption long enough to matter"], "n": 1}
    for _ in range(3):   # separate requests
        store.tasks.create_many([make_task(serial="SAME", script_config=config)] * 2)
    store.tasks.update(1, {"status": 1, "remark": "started"})
    for _ in range(2):
        table = store.storage.table("tasks")
        first = dict(zip(table.shape(table.records[1]).keys, table.records[1], strict=False))
        for task_id in range(2, 7):
            record = table.records[task_id]
            other = dict(zip(table.shape(record).keys, record, strict=False))
            assert other["serial"] is first["serial"]
            assert other["script_config"] is first["script_config"]
        store.compact()
        store = reopen(store, store_factory)


def test_pending_queues_per_phone_follow_every_change(store, store_factory):
    ids = [t["id"] for t in store.tasks.create_many(
        [make_task(serial=s) for s in ("A", "B", "A", "A", "C")])]
    assert store.tasks.queues() == {"A": [ids[0], ids[2], ids[3]], "B": [ids[1]], "C": [ids[4]]}
    store.tasks.update(ids[0], {"status": 1})          # started
    store.tasks.update(ids[2], {"serial": "B"})        # moved to another phone
    store.tasks.delete_many([ids[4]])
    assert store.tasks.queues(["A", "B", "C", "D"]) == {"A": [ids[3]], "B": [ids[1], ids[2]]}
    store.tasks.update(ids[0], {"status": 3})
    store.tasks.update(ids[0], {"status": 0})          # retried: back in its place by id
    store = reopen(store, store_factory)
    assert store.tasks.queues(["A"]) == {"A": [ids[0], ids[3]]}
    assert store.tasks.ids_where(status=0, serial="A") == [ids[0], ids[3]]
    page, total = store.tasks.list({"status": 0, "serial": "B"}, 0, 10)
    assert [t["id"] for t in page] == [ids[2], ids[1]] and total == 2
    assert store.check() == []


def test_deleting_many_pending_tasks_empties_their_queues(store):
    store.tasks.create_many([make_task(serial=f"P{i % 3}") for i in range(300)])
    store.tasks.create_many([make_task(serial="KEEP")])
    store.tasks.delete_many(range(1, 301))   # more than the one-by-one path of the index
    assert store.tasks.queues() == {"KEEP": [301]}
    assert store.check() == []


def test_a_snapshot_of_the_previous_version_opens(tmp_path):
    """Version 2 as written before records: chunk headers carrying each doc's index values."""
    docs = [{**make_task(serial=f"OLD{i}", status=i % 2), "id": i} for i in (1, 2)]
    head = {"t": "tasks", "kind": "docs", "n": 2,
            "names": ["status", "serial", "script_name", "source", "username", "finished_at"],
            "fields": [[[1, 0], [1, 0]], [["OLD1", "OLD2"], [0, 1]], [["post"], [0, 0]],
                       [["api"], [0, 0]], [[None], [0, 0]], [[None], [0, 0]]]}
    body = json.dumps(head) + "\n" + "\n".join(f"{d['id']} {json.dumps(d)}" for d in docs)
    state = tmp_path / "state"
    state.mkdir()
    (state / SNAPSHOT_NAME).write_bytes(
        frame(json.dumps({"magic": SNAPSHOT_MAGIC, "version": 2, "next_gen": 1,
                          "hw": {"tasks": 2}}).encode())
        + frame(body.encode()) + frame(json.dumps({"end": True, "count": 2}).encode()))
    with Store.open(state) as store:
        assert store.check() == []
        assert store.tasks.get(2) == docs[1]
        assert store.tasks.queues() == {"OLD2": [2]}
        assert store.tasks.create_many([make_task()])[0]["id"] == 3
