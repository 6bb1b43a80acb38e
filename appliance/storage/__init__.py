"""The hub's store: the only package that imports tinydb (TinyDB tables on a journal).

`Store.open(state_dir)` -> `.tasks`, `.meta`, `.accounts`, `.groups`; see docs/ARCHITECTURE.md
(storage) for the contract and journal.py for the on-disk format. Any thread may call; one lock
inside.
"""

from appliance.storage.archive import read_archive
from appliance.storage.store import Store

__all__ = ["Store", "read_archive"]
