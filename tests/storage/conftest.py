"""Factories for the storage tests: stores with normal or tiny journal limits."""

from __future__ import annotations

import pytest

from appliance.storage import Store


@pytest.fixture(params=["default", "rotating"])
def store_factory(request, tmp_path):
    """Opens stores on one state dir; 'rotating' snapshots after nearly every write."""
    limit = 8 << 20 if request.param == "default" else 512
    opened = []

    def open_store():
        store = Store.open(tmp_path / "state", journal_limit=limit)
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory):
    return store_factory()
