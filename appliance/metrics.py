"""The hub's process-wide metrics: latencies and error counts that any layer records in one line.

Counters and histograms are module-level (the prometheus-client idiom) and registered in no global
registry: each app's `/metrics` (api/metrics.py) registers them next to its own per-hub gauges
(tasks, phones) computed at scrape. Several hubs in one process (tests) thus each report their
own tasks and phones, and share these. A leaf like errors.py; any thread records (thread-safe).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from prometheus_client import Counter, Histogram, disable_created_metrics

F = TypeVar("F", bound=Callable)

# No `*_created` series beside each counter and histogram: they would double the scrape for a
# start time that `process_start_time_seconds` already gives.
disable_created_metrics()

HTTP_SECONDS = Histogram(
    "appliance_http_request_seconds", "HTTP requests by route template, method and status code.",
    ["route", "method", "status"], registry=None)
ADB_SECONDS = Histogram(
    "appliance_adb_call_seconds", "adb calls to phones by operation (errors included).", ["op"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=None)
ADB_ERRORS = Counter(
    "appliance_adb_errors", "Failed adb calls by operation and kind (the error's class name).",
    ["op", "kind"], registry=None)
FSYNC_SECONDS = Histogram(
    "appliance_store_fsync_seconds", "fdatasync of the store's journal (one per group commit).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
    registry=None)
TASK_WAIT_SECONDS = Histogram(
    "appliance_task_create_to_start_seconds",
    "From a task's creation to its first start (created_at has whole seconds; scheduled "
    "start times and intervals count; retries do not).",
    buckets=(1, 5, 15, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600), registry=None)
TASK_RUN_SECONDS = Histogram(
    "appliance_task_run_seconds", "Run time of tasks by script and outcome (completed, failed).",
    ["script", "outcome"], buckets=(1, 5, 15, 30, 60, 300, 600, 1800, 3600, 7200),
    registry=None)

PROCESS_WIDE = (HTTP_SECONDS, ADB_SECONDS, ADB_ERRORS, FSYNC_SECONDS, TASK_WAIT_SECONDS,
                TASK_RUN_SECONDS)


def timed_adb(op: str) -> Callable[[F], F]:
    """Decorate a DeviceClient method: its latency, and its failures by exception class."""

    def decorate(method: F) -> F:
        seconds = ADB_SECONDS.labels(op)

        @functools.wraps(method)
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            except Exception as exc:
                ADB_ERRORS.labels(op, type(exc).__name__).inc()
                raise
            finally:
                seconds.observe(time.perf_counter() - started)

        return call  # type: ignore[return-value]

    return decorate


def task_started(task: dict, now: datetime) -> None:
    """A task's first start: seconds since its created_at. Skipped for a retry (its created_at is
    the first run's) or a stamp `now` cannot be compared with: a metric never fails a task."""
    if task.get("retry_count"):
        return
    try:
        waited = (now - datetime.fromisoformat(task["created_at"])).total_seconds()
    except (KeyError, TypeError, ValueError):
        return
    TASK_WAIT_SECONDS.observe(max(0.0, waited))
