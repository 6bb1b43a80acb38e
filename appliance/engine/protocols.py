"""The engine as services see it (typing.Protocol): wake it for new work, stop running tasks.

Implemented by engine.Engine. Called from request threads (TaskService) and the fleet member.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class TaskRunner(Protocol):
    """What TaskService needs of the engine, which owns every running task."""

    def wake(self) -> None:
        """New, retried or changed tasks are in the store: dispatch now."""

    def stop_task(self, task_id: int, remark: str = "stopped", timeout: float | None = None) -> bool:
        """Cancel a running task and wait for its end; False if the engine was not running it."""

    def stop_tasks(self, task_ids: Iterable[int], remark: str = "stopped",
                   timeout: float | None = None) -> set[int]:
        """`stop_task` for many; the ids whose runs had begun and have now ended."""

    def running(self) -> dict[int, str]:
        """Task id -> serial of the runs the engine owns."""
