"""The serials this hub has ever seen, kept in `store.meta` so "never seen" survives restarts.

`record` runs on the tracker thread when adb lists a serial the tracker did not know, before the
phone is listed to anyone else; `unknown` runs on request threads (POST /task). The list is
bounded (oldest first seen dropped); the TCP addresses the hub was asked to connect count as seen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from appliance.devices.server import META_KEY as TCP_KEY

if TYPE_CHECKING:
    from appliance.storage import Store

META_KEY = "seen_phones"
MAX_SEEN = 1000   # serials remembered; a hub has at most 100 phones, replaced over the years


class SeenPhones:
    def __init__(self, store: Store | None = None, limit: int = MAX_SEEN) -> None:
        self.store = store
        self.limit = limit
        self._lock = threading.Lock()
        self._memory: list[str] = []   # without a store (tests, tools)

    def _read(self, key: str) -> list[str]:
        if self.store is None:
            return self._memory if key == META_KEY else []
        return list(self.store.meta.get(key, []) or [])

    def record(self, serials: Iterable[str]) -> list[str]:
        """Remember `serials`; returns those the hub had never seen (written in one store write)."""
        with self._lock:
            seen = self._read(META_KEY)
            known = set(seen)
            new = [s for s in dict.fromkeys(serials) if s not in known]
            if new:
                seen = (seen + new)[-self.limit:]
                if self.store is None:
                    self._memory = seen
                else:
                    self.store.meta.set(META_KEY, seen)
            return new

    def unknown(self, serials: Iterable[str]) -> list[str]:
        """The serials among `serials` (order kept, each once) this hub has never seen."""
        known = set(self._read(META_KEY)) | set(self._read(TCP_KEY))
        return [s for s in dict.fromkeys(serials) if s not in known]
