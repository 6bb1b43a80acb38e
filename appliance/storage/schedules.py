"""ScheduleRepo (issue 13): recurring schedules {id, name, weekdays, times, targets, script_name,
script_config, enabled, last_run_at, last_error, last_task_count, created_at, updated_at}.

A small table, scanned freely; ids are never reused. Any thread may call (request threads, and
the scheduler's workers recording a firing); writes are durable on return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tinydb.table import Document

from appliance.storage.backend import Doc

if TYPE_CHECKING:
    from appliance.storage.store import Store

SCHEDULES = "schedules"


class ScheduleRepo:
    def __init__(self, store: Store):
        self._store = store
        self._table = store.db.table(SCHEDULES)
        self._docs = store.storage.table(SCHEDULES)

    def create(self, doc: Doc) -> Doc:
        def write() -> Doc:
            schedule_id = self._store.storage.next_id(SCHEDULES)
            self._table.insert(Document({**doc, "id": schedule_id}, schedule_id))
            return self._docs[str(schedule_id)]
        return self._store.write(write)

    def get(self, schedule_id: int) -> Doc | None:
        with self._store.reading():
            return self._docs.get(str(schedule_id))

    def list(self) -> list[Doc]:
        """Every schedule, ascending id."""
        with self._store.reading():
            return sorted(self._docs.values(), key=lambda d: d["id"])

    def update(self, schedule_id: int, changes: Doc) -> Doc | None:
        """Set `changes` (not the id); None if the schedule does not exist (deleted meanwhile:
        a firing that ends after a delete records nothing)."""
        def write() -> Doc | None:
            if str(schedule_id) not in self._docs:
                return None
            delta = {k: v for k, v in changes.items() if k != "id"}
            if delta:
                self._table.update(delta, doc_ids=[schedule_id])
            return self._docs[str(schedule_id)]
        return self._store.write(write)

    def delete(self, schedule_id: int) -> bool:
        def write() -> bool:
            return bool(self._table.remove(doc_ids=[schedule_id]))
        return self._store.write(write)
