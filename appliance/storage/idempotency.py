"""Idempotency keys of the fleet's `create` requests, kept in the meta table with the tasks.

`IdempotencyRepo.run_once` checks the key, runs the create and records key -> answer in ONE
store transaction (one journal record), so a SIGKILL can never keep the tasks without the key
(or the key without the tasks). Any thread; every call takes the store lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from appliance.storage.store import Store

PREFIX = "idem:"
T = TypeVar("T")


class IdempotencyRepo:
    """key -> {"at": epoch seconds, "answer": the first answer} in `store.meta`, kept `ttl` s."""

    def __init__(self, store: Store, ttl: float = 24 * 3600) -> None:
        self._store = store
        self.ttl = ttl

    def run_once(self, key: str, now: float, fn: Callable[[], T]) -> tuple[T | Any, bool]:
        """(answer, True) from a fresh record of `key`; else (fn(), False), recorded atomically
        with whatever `fn` wrote (nested store writes join this transaction)."""
        meta = self._store.meta
        name = PREFIX + key

        def write() -> tuple[T | Any, bool]:
            found = meta.get(name)
            if isinstance(found, dict) and now - float(found.get("at", 0)) < self.ttl:
                return found.get("answer"), True
            answer = fn()
            meta.set(name, {"at": now, "answer": answer})
            return answer, False

        try:
            return self._store.write(write)
        except BaseException:
            # The outer transaction was undone after meta.set ran: its key -> doc id cache is
            # stale. Rebuild it from the table (storage-internal, hence the private call).
            meta._resync()
            raise

    def prune(self, now: float) -> int:
        """Forget keys older than `ttl`; returns how many."""
        meta = self._store.meta
        old = [k for k, v in meta.all().items()
               if k.startswith(PREFIX) and (not isinstance(v, dict)
                                           or now - float(v.get("at", 0)) >= self.ttl)]
        for k in old:
            meta.delete(k)
        return len(old)
