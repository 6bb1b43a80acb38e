"""The store's tables keep TinyDB's public Table API (the only surface storage extends): every
write method lands in the journal and survives a reopen; reads are TinyDB's own."""

from __future__ import annotations

from pathlib import Path

from tinydb import Query
from tinydb.table import Document

from appliance.storage import Store


def test_public_table_methods_write_through_the_journal(tmp_path: Path) -> None:
    q = Query()
    with Store.open(tmp_path) as store:
        table = store.db.table("scratch")
        a = table.insert({"k": "a", "n": 1})
        b, c = table.insert_multiple([{"k": "b", "n": 2}, Document({"k": "c", "n": 3}, 10)])
        assert (b, c) == (a + 1, 10)
        assert table.update({"n": 20}, q.k == "b") == [b]
        assert table.update(lambda doc: doc.update(n=doc["n"] + 1), doc_ids=[a, 999]) == [a]
        assert table.upsert({"k": "d", "n": 4}, q.k == "d") == [11]   # above the high-water mark
        assert table.upsert({"k": "d", "n": 5}, q.k == "d") == [11]
        assert table.remove(q.n == 3) == [c]
        assert sorted((d["k"], d["n"]) for d in table.search(q.n > 1)) == [("a", 2), ("b", 20), ("d", 5)]
        assert len(table) == 3 and table.contains(doc_id=b) and table.count(q.k == "a") == 1
    with Store.open(tmp_path) as store:
        table = store.db.table("scratch")
        assert {d.doc_id: dict(d) for d in table} == {
            a: {"k": "a", "n": 2}, b: {"k": "b", "n": 20}, 11: {"k": "d", "n": 5}}
        assert table.insert({"k": "e"}) == 12   # ids are never reused
        table.truncate()
        assert table.all() == []
    with Store.open(tmp_path) as store:
        assert len(store.db.table("scratch")) == 0
