"""Factories for the storage tests: `make_task` and stores with normal or tiny journal limits."""

from __future__ import annotations

import itertools

import pytest

from appliance.storage import Store

_counter = itertools.count(1)


def make_task(**fields) -> dict:
    """A task document as the services create it (without id)."""
    n = next(_counter)
    doc = {
        "serial": f"SER{n % 5}",
        "username": None,
        "script_name": "post",
        "script_config": {"captions": [f"hello {n}"], "nested": {"k": n}},
        "status": 0,
        "source": "api",
        "min_interval": 1,
        "max_interval": 5,
        "start_time": None,
        "created_at": "2026-11-28T12:00:00+00:00",
        "started_at": None,
        "finished_at": None,
        "remark": "",
        "retry_count": 0,
        "_attempt": 0,
    }
    doc.update(fields)
    return doc


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
