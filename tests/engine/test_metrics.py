"""/metrics of a hub with phones: phones by state, adb calls and errors, task wait and run time.

The histograms are process-wide (other tests in this process add to them): asserted as deltas.
"""

from __future__ import annotations

import pytest

from appliance.domain.tasks import COMPLETED, FAILED
from appliance.errors import DeviceError
from tests.fixtures import short_warmup
from tests.hubkit import Scrape, call


def scrape(hub) -> Scrape:
    status, text = call(hub.handle.url.removesuffix("/api/v1"), "GET", "/metrics")
    assert status == 200
    return Scrape(text.decode())


def test_phones_adb_calls_and_task_times(phone_hub):
    hub = phone_hub(2)
    before = scrape(hub)
    assert before.value("appliance_phones", state="device") == 2
    assert before.value("appliance_phones", state="offline") == 0

    task_id = hub.create(hub.serials[:1], short_warmup())[0]
    assert hub.wait_status(task_id, COMPLETED, FAILED)["status"] == COMPLETED
    with pytest.raises(DeviceError) as failed:
        hub.services.engine.client.shell("NO-SUCH-PHONE", "true", timeout=5)
    after = scrape(hub)

    def grew(sample: str, **labels) -> float:
        return after.value(sample, **labels) - before.value(sample, **labels)

    assert grew("appliance_task_create_to_start_seconds_count") == 1
    assert grew("appliance_task_run_seconds_count", script="account_warmup",
                outcome="completed") == 1
    assert grew("appliance_adb_call_seconds_count", op="shell") > 1
    assert grew("appliance_adb_errors_total", op="shell", kind=type(failed.value).__name__) == 1
    assert after.value("appliance_tasks", state="completed") == 1
