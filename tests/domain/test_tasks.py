"""The task state machine allows exactly the transitions of docs/API.md, Task states."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.domain.tasks import (
    COMPLETED,
    FAILED,
    PENDING,
    RUNNING,
    TRANSITIONS,
    new_task,
    next_start,
    transition,
)
from appliance.errors import InvalidParams

NOW = datetime(2026, 11, 28, 10, 15, 30, tzinfo=UTC)
ALLOWED = {("start", PENDING): RUNNING, ("complete", RUNNING): COMPLETED,
           ("fail", RUNNING): FAILED, ("stop", PENDING): FAILED, ("stop", RUNNING): FAILED,
           ("retry", FAILED): PENDING}


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
@pytest.mark.parametrize("status", [PENDING, RUNNING, COMPLETED, FAILED])
def test_only_contract_transitions_are_allowed(action, status):
    task = {"id": 7, "status": status, "retry_count": 2}
    if (action, status) in ALLOWED:
        assert transition(task, action, NOW, "r")["status"] == ALLOWED[(action, status)]
    else:
        with pytest.raises(InvalidParams) as err:
            transition(task, action, NOW)
        assert "Task 7" in err.value.message


def test_retry_counts_and_clears():
    changes = transition({"id": 1, "status": FAILED, "retry_count": 2}, "retry", NOW)
    assert changes["retry_count"] == 3 and changes["remark"] == "" and changes["finished_at"] is None


def test_finish_sets_time_and_remark():
    changes = transition({"id": 1, "status": RUNNING}, "fail", NOW, "phone lost")
    assert changes["finished_at"] == "2026-11-28T10:15:30+00:00" and changes["remark"] == "phone lost"


@pytest.mark.parametrize("hhmm,expected", [("10:15", "2026-11-28T10:15"), ("10:16", "2026-11-28T10:16"),
                                           ("10:14", "2026-11-29T10:14"), ("00:00", "2026-11-29T00:00")])
def test_start_time_is_the_next_such_moment(hhmm, expected):
    assert next_start(hhmm, NOW).isoformat().startswith(expected)


def test_new_task_with_start_time_gets_a_not_before():
    doc = new_task(serial="S", script_name="x", script_config={}, source="api", min_interval=1,
                   max_interval=5, start_time="23:00", now=NOW)
    assert doc["_not_before"] == "2026-11-28T23:00:00+00:00" and doc["status"] == PENDING
