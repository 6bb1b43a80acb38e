"""The repo contract of docs/ARCHITECTURE.md, run on a fresh store and on one that snapshots
after nearly every write, and checked again after a reopen."""

from __future__ import annotations

import threading

import pytest

from appliance.errors import InvalidParams
from tests.fixtures import make_task


def reopen(store, store_factory):
    store.close()
    return store_factory()


class TestTasks:
    def test_create_assigns_increasing_ids_and_keeps_fields(self, store, store_factory):
        created = store.tasks.create_many([make_task(serial="A"), make_task(serial="B")])
        assert [t["id"] for t in created] == [1, 2]
        assert created[0]["serial"] == "A" and created[0]["script_config"]["nested"]
        store = reopen(store, store_factory)
        assert store.tasks.get(1) == created[0]
        assert store.tasks.get(2) == created[1]
        assert store.tasks.get(3) is None

    def test_documents_handed_out_are_copies(self, store):
        given = make_task(script_config={"nested": {"k": 1}})
        (task,) = store.tasks.create_many([given])
        given["script_config"]["nested"]["k"] = "changed by the caller"
        task["script_config"]["nested"]["k"] = "changed in the answer"
        store.tasks.get(1)["script_config"]["nested"]["k"] = "changed in a read"
        store.tasks.list({}, 0, 1)[0][0]["script_config"]["nested"]["k"] = "changed in a page"
        assert store.tasks.get(1)["script_config"] == {"nested": {"k": 1}}

    def test_list_newest_first_with_filters_offset_and_total(self, store):
        docs = [make_task(serial=f"S{i % 3}", status=i % 2, username=f"u{i % 2}") for i in range(30)]
        store.tasks.create_many(docs)
        page, total = store.tasks.list({}, 0, 5)
        assert total == 30 and [t["id"] for t in page] == [30, 29, 28, 27, 26]
        page, total = store.tasks.list({"status": 1}, 0, 100)
        assert total == 15 and all(t["status"] == 1 for t in page)
        assert [t["id"] for t in page] == sorted((t["id"] for t in page), reverse=True)
        page, total = store.tasks.list({"status": 1, "serial": "S0"}, 1, 2)
        expected = [i + 1 for i in range(30) if i % 2 == 1 and i % 3 == 0][::-1]
        assert total == len(expected) and [t["id"] for t in page] == expected[1:3]
        assert store.tasks.list({"status": 0}, 100, 10) == ([], 15)
        assert store.tasks.list({"status": 0}, 0, 0) == ([], 15)
        assert store.tasks.list({"serial": "nope"}, 0, 10) == ([], 0)
        assert store.tasks.list({"username": "u0", "script_name": "post", "source": "api"}, 0, 100)[1] == 15
        with pytest.raises(InvalidParams):
            store.tasks.list({"remark": ""}, 0, 10)

    def test_update_moves_between_filters_and_stats(self, store, store_factory):
        store.tasks.create_many([make_task() for _ in range(4)])
        assert store.tasks.stats() == {"total": 4, "pending": 4, "running": 0, "completed": 0, "failed": 0}
        updated = store.tasks.update(2, {"status": 1, "started_at": "2026-11-28T12:01:00+00:00"})
        assert updated["status"] == 1 and updated["id"] == 2
        store.tasks.update(3, {"status": 3, "remark": "boom"})
        assert store.tasks.update(99, {"status": 1}) is None
        assert store.tasks.stats() == {"total": 4, "pending": 2, "running": 1, "completed": 0, "failed": 1}
        assert store.tasks.ids_where(status=0) == [1, 4]
        store = reopen(store, store_factory)
        assert store.tasks.stats() == {"total": 4, "pending": 2, "running": 1, "completed": 0, "failed": 1}
        assert store.tasks.list({"status": 1}, 0, 10)[0][0]["started_at"] == "2026-11-28T12:01:00+00:00"
        assert store.tasks.get(3)["remark"] == "boom"

    def test_update_callable_is_compare_and_set(self, store):
        store.tasks.create_many([make_task()])
        start = lambda doc: {"status": 1} if doc["status"] == 0 else None
        assert store.tasks.update(1, start)["status"] == 1
        assert store.tasks.update(1, start)["status"] == 1  # no change: returns the doc as is

        def refuse(doc):
            raise InvalidParams("task is not pending")
        with pytest.raises(InvalidParams):
            store.tasks.update(1, refuse)
        assert store.tasks.get(1)["status"] == 1

    def test_compare_and_set_under_eight_threads(self, store):
        store.tasks.create_many([make_task(retry_count=0)])
        winners = []

        def claim(doc):
            return {"status": 1} if doc["status"] == 0 else None

        def worker(n):
            for _ in range(50):
                store.tasks.update(1, lambda d: {"retry_count": d["retry_count"] + 1})
            before = store.tasks.get(1)
            after = store.tasks.update(1, lambda d, n=n: {"status": 1, "remark": f"w{n}"}
                                       if d["status"] == 0 else None)
            if after["remark"] == f"w{n}" and before["status"] == 0:
                winners.append(n)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert store.tasks.get(1)["retry_count"] == 400  # no lost update
        assert len(winners) == 1  # exactly one thread won the claim
        assert claim(store.tasks.get(1)) is None

    def test_delete_many_returns_existing_and_drops_logs(self, store, store_factory):
        store.tasks.create_many([make_task() for _ in range(3)])
        store.tasks.append_log(2, {"ts": "t", "level": "info", "message": "hi"}, 10)
        assert store.tasks.delete_many([2, 7, 2, 3]) == [2, 3]
        assert store.tasks.get(2) is None and store.tasks.logs(2) == []
        assert store.tasks.stats()["total"] == 1
        store = reopen(store, store_factory)
        assert store.tasks.ids_where() == [1]
        assert store.check() == []

    def test_logs_keep_the_last_lines(self, store, store_factory):
        store.tasks.create_many([make_task()])
        for n in range(7):
            store.tasks.append_log(1, {"ts": f"t{n}", "level": "info", "message": f"line {n}"}, 3)
        assert [line["message"] for line in store.tasks.logs(1)] == ["line 4", "line 5", "line 6"]
        store.tasks.append_log(42, {"ts": "t", "level": "info", "message": "orphan"}, 3)
        assert store.tasks.logs(42) == []
        store = reopen(store, store_factory)
        assert [line["message"] for line in store.tasks.logs(1)] == ["line 4", "line 5", "line 6"]
        assert "logs" not in store.tasks.get(1)

    def test_ids_never_reused_after_delete_and_reopen(self, store, store_factory):
        store.tasks.create_many([make_task() for _ in range(5)])
        store.tasks.delete_many([3, 4, 5])
        store = reopen(store, store_factory)
        assert store.tasks.create_many([make_task()])[0]["id"] == 6
        store.tasks.delete_many([6])
        store.compact()
        store = reopen(store, store_factory)
        assert store.tasks.create_many([make_task()])[0]["id"] == 7

    def test_batch_is_all_or_nothing(self, store, store_factory):
        store.tasks.create_many([make_task()])
        with pytest.raises((TypeError, ValueError)):
            store.tasks.create_many([make_task(), make_task(script_config={"bad": object()})])
        assert store.tasks.stats()["total"] == 1
        store = reopen(store, store_factory)
        assert store.tasks.ids_where() == [1]
        assert store.check() == []

    def test_engine_private_fields_survive(self, store, store_factory):
        store.tasks.create_many([make_task(_not_before="2026-11-28T13:00:00+00:00")])
        store.tasks.update(1, {"_attempt": 2})
        store = reopen(store, store_factory)
        doc = store.tasks.get(1)
        assert doc["_not_before"] == "2026-11-28T13:00:00+00:00" and doc["_attempt"] == 2


class TestMeta:
    def test_get_set_delete_survive_reopen(self, store, store_factory):
        assert store.meta.get("plan") is None and store.meta.get("plan", "Pro") == "Pro"
        store.meta.set("plan", "Team")
        store.meta.set("tcp_phones", ["10.0.0.2:5555"])
        store.meta.set("plan", "Business")
        store = reopen(store, store_factory)
        assert store.meta.get("plan") == "Business"
        assert store.meta.all() == {"plan": "Business", "tcp_phones": ["10.0.0.2:5555"]}
        assert store.meta.delete("plan") is True and store.meta.delete("plan") is False
        store = reopen(store, store_factory)
        assert store.meta.get("plan") is None


class TestAccounts:
    def test_crud_and_unique_username(self, store, store_factory):
        a = store.accounts.create({"username": "alice", "device": "S1", "enabled": True, "password": "pw"})
        b = store.accounts.create({"username": "bob", "device": "S2", "enabled": False})
        assert (a["id"], b["id"]) == (1, 2)
        with pytest.raises(InvalidParams):
            store.accounts.create({"username": "alice"})
        with pytest.raises(InvalidParams):
            store.accounts.update(2, {"username": "alice"})
        assert store.accounts.update(2, {"enabled": True, "username": "bobby"})["username"] == "bobby"
        assert store.accounts.update(9, {"enabled": True}) is None
        store = reopen(store, store_factory)
        assert store.accounts.get_by_username("alice")["password"] == "pw"
        assert store.accounts.get_by_username("bob") is None
        assert [x["username"] for x in store.accounts.list({"enabled": True})] == ["alice", "bobby"]
        assert [x["id"] for x in store.accounts.list({"device": "S2"})] == [2]
        assert store.accounts.delete(1) is True and store.accounts.delete(1) is False
        assert store.accounts.create({"username": "alice"})["id"] == 3  # ids never reused


def test_any_text_round_trips(store, store_factory):
    text = "emoji \U0001F600 quote \" nul \x00 newline \n lone \ud800 rtl \u202e tab \t 中文"
    (task,) = store.tasks.create_many([make_task(remark=text, serial=text)])
    store.tasks.append_log(task["id"], {"ts": "t", "level": "info", "message": text}, 5)
    assert store.tasks.get(task["id"])["remark"] == text
    store.compact()
    store.tasks.update(task["id"], {"script_config": {"caption": text}})
    store = reopen(store, store_factory)
    doc = store.tasks.get(task["id"])
    assert doc["remark"] == text and doc["script_config"]["caption"] == text
    assert store.tasks.list({"serial": text}, 0, 10)[1] == 1
    assert store.tasks.logs(task["id"])[0]["message"] == text
