"""The store as the layers above see it: task store and account store (typing.Protocol).

The engine and services depend on these, not on TaskRepo/AccountRepo, so a fake store in a
test and the real one meet the same contract. No state, no threads (implementations say theirs).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from typing import Any, Protocol

Doc = dict[str, Any]
# (task id, serial, old status, new status): called after each committed status change.
StatusListener = Callable[[int, str | None, int | None, int | None], None]


class TaskStore(Protocol):
    """Tasks and their logs (implemented by storage.tasks.TaskRepo). Each call is atomic."""

    def subscribe(self, callback: StatusListener) -> None: ...

    def create_many(self, docs: builtins.list[Doc]) -> builtins.list[Doc]: ...

    def update(self, task_id: int, changes: Doc | Callable[[Doc], Doc | None]) -> Doc | None:
        """Apply `changes` (or the changes `changes(current)` returns; None: none) to the task;
        the new document, or None if it is gone or unchanged."""

    def delete_many(self, ids: Iterable[int]) -> builtins.list[int]: ...

    def append_log(self, task_id: int, line: Doc, limit: int) -> None: ...

    def get(self, task_id: int) -> Doc | None: ...

    def list(self, filters: Doc | None, offset: int, limit: int) -> tuple[builtins.list[Doc], int]: ...

    def stats(self) -> dict[str, int]: ...

    def ids_where(self, status: int | None = None, serial: str | None = None) -> builtins.list[int]: ...

    def queues(self, serials: Iterable[str] | None = None) -> dict[str, builtins.list[int]]:
        """Pending task ids per phone, oldest first."""

    def logs(self, task_id: int) -> builtins.list[Doc]: ...


class AccountStore(Protocol):
    """TikTok accounts of the phones (implemented by storage.small.AccountRepo)."""

    def create(self, doc: Doc) -> Doc: ...

    def get(self, account_id: int) -> Doc | None: ...

    def get_by_username(self, username: str) -> Doc | None: ...

    def list(self, filters: Doc | None = None) -> builtins.list[Doc]: ...

    def update(self, account_id: int, changes: Doc) -> Doc | None: ...

    def delete(self, account_id: int) -> bool: ...


class TaskStoreHolder(Protocol):
    """What the engine needs of the store: its tasks (storage.Store has it)."""

    @property
    def tasks(self) -> TaskStore: ...
