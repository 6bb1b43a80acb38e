"""JobRepo (issue 13): the scheduler's persistent jobs, one JSON document per job, keyed by
`job_id` (the fields are services/jobstore.py's: kind, args, name, trigger, next_run_time...).

The hub's job store is the only caller: it reads them all when the scheduler starts and writes
each change through. A small table; any thread may call; writes are durable on return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appliance.storage.backend import Doc

if TYPE_CHECKING:
    from appliance.storage.store import Store

JOBS = "jobs"


class JobRepo:
    """Documents by `job_id`: `put` adds or replaces one whole, `delete` removes one."""

    def __init__(self, store: Store):
        self._store = store
        self._table = store.db.table(JOBS)
        self._docs = store.storage.table(JOBS)   # indexed by job_id (store.LAYOUT)

    def _doc_id(self, job_id: str) -> int | None:
        for doc_id, (key,) in self._docs.field_rows():
            if key == job_id:
                return doc_id
        return None

    def all(self) -> list[Doc]:
        """Every job document, ascending job_id."""
        with self._store.reading():
            return sorted(self._docs.values(), key=lambda d: d["job_id"])

    def put(self, doc: Doc) -> None:
        """Store `doc` (it holds `job_id`) in place of the document of that job, if any. The job
        store writes every field each time, so an update replaces the whole document."""
        def write() -> None:
            doc_id = self._doc_id(doc["job_id"])
            if doc_id is None:
                self._table.insert(doc)
            else:
                self._table.update(doc, doc_ids=[doc_id])
        self._store.write(write)

    def delete(self, job_id: str) -> bool:
        def write() -> bool:
            doc_id = self._doc_id(job_id)
            if doc_id is not None:
                self._table.remove(doc_ids=[doc_id])
            return doc_id is not None
        return self._store.write(write)

    def clear(self) -> None:
        def write() -> None:
            self._table.remove(doc_ids=[doc_id for doc_id, _key in self._docs.field_rows()])
        self._store.write(write)
