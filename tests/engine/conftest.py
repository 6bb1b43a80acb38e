"""A real hub (API + engine + its own adb server on a free port) with simulated phones connected.

`phone_hub(count=5, *, app_build=None, locale="en", phone_settings=None, **settings)` -> PhoneHub
(settings: the hub's; app_build/locale: one value or a list assigned round robin; phone_settings
override conftest.FAST_PHONE): `.call(method, path, body)` speaks the Local API,
`.serials` are the phones' adb serials, `.farm` the SimFarm, `.sim(serial)` one SimPhone.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import free_port, wait_for
from tests.hubkit import hub_config, running_hub

ADB_PATH = "/usr/bin/adb"


@dataclass
class PhoneHub:
    handle: Any
    farm: Any
    serials: list[str]

    @property
    def services(self):
        return self.handle.services

    def call(self, method: str, path: str, body: Any = None):
        status, envelope = self.handle.call(method, path, body)
        return status, envelope

    def ok(self, method: str, path: str, body: Any = None):
        status, envelope = self.call(method, path, body)
        assert status == 200 and envelope["code"] == 0, envelope
        return envelope["data"]

    def sim(self, serial: str):
        return next(p for p in self.farm.phones if p.address == serial)

    def task(self, task_id: int) -> dict:
        return self.ok("GET", f"/task/{task_id}")

    def private(self, task_id: int) -> dict:
        """The stored document with the engine's private fields (sub-second timestamps)."""
        return self.services.store.tasks.get(task_id)

    def wait_status(self, task_id: int, *statuses: int, timeout: float = 30.0) -> dict:
        return wait_for(lambda: (lambda t: t if t["status"] in statuses else None)(
            self.task(task_id)), timeout, interval=0.05, message=f"task {task_id} in {statuses}")

    def create(self, serials, config=None, script="account_warmup", **body) -> list[int]:
        body = {"serials": list(serials), "script_name": script,
                "script_config": config or {}, "min_interval": 0, "max_interval": 0, **body}
        return self.ok("POST", "/task", body)["task_ids"]


def short_warmup(**overrides) -> dict:
    config = dict(task_duration=0.6, min_duration=0.1, max_duration=0.2, like_probable=100,
                  floow_probable=50, collect_probable=50, comment_probable=0)
    config.update(overrides)
    return config


def long_warmup() -> dict:
    return dict(task_duration=120, min_duration=30, max_duration=30, like_probable=0,
                floow_probable=0, collect_probable=0)


@pytest.fixture
def phone_hub(tmp_path, sim_farm):
    with contextlib.ExitStack() as stack:
        def make(count: int = 5, *, app_build=None, locale="en", phone_settings=None,
                 **settings) -> PhoneHub:
            settings = {"adb_enabled": True, "adb_port": free_port(), "adb_path": ADB_PATH,
                        "plan": "Business", "stop_grace": 3,
                        "health_interval": 60, **settings}
            handle = stack.enter_context(running_hub(hub_config(tmp_path, **settings)))
            farm = sim_farm(count, seed=11, app_build=app_build, locale=locale,
                            phone_settings=phone_settings)
            engine = handle.services.engine
            assert engine is not None, "the engine is not wired (adb disabled?)"
            for phone in farm.phones:
                engine.client.connect(phone.address, timeout=10)
            serials = [p.address for p in farm.phones]
            wait_for(lambda: all(engine.tracker.usable(s) for s in serials), 30,
                     message="every phone usable by the hub")
            return PhoneHub(handle, farm, serials)

        yield make


def ran_in_order(hub: PhoneHub, ids: list[int]) -> None:
    """Assert the tasks (of one phone, in creation order) ran one at a time in that order."""
    docs = [hub.private(i) for i in ids]
    for before, after in zip(docs, docs[1:]):
        assert before["_ended_ts"] <= after["_started_ts"], (before["id"], after["id"])
