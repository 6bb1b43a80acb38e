"""Shared by the issue-6 script tests (which use the `phone_hub` fixture: a real hub with its own
adb server and simulated phones): small helpers: media files, waiting for tasks, app records."""

from __future__ import annotations

import os
from pathlib import Path

from tests.fixtures import PhoneHub, wait_for

COMPLETED, FAILED = 2, 3


def media_file(hub: PhoneHub, name: str, size: int = 4096) -> Path:
    """A file of `size` random bytes in the hub's media folder."""
    root = hub.handle.config.media_path
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    return path


def run_tasks(hub: PhoneHub, body: dict, timeout: float = 60.0) -> list[dict]:
    """POST /task with `body`, wait until every task ended, return them in id order."""
    body = {"min_interval": 0, "max_interval": 0, **body}
    ids = hub.ok("POST", "/task", body)["task_ids"]
    return [hub.wait_status(i, COMPLETED, FAILED, timeout=timeout) for i in ids]


def accounts_of(hub: PhoneHub, serial: str) -> list[str]:
    sim = hub.sim(serial)
    with sim.android.ui_lock:
        return list(sim.ui.app.accounts)


def messages(task: dict) -> list[str]:
    return [line["message"] for line in task["logs"]]


def wait_records(sim, kind: str, count: int, timeout: float = 10.0) -> list[dict]:
    return wait_for(lambda: (lambda r: r if len(r) >= count else None)(sim.app_records(kind)),
                    timeout, message=f"{count} {kind} records")


SCRIPT_VERBS = {"uiautomator", "input", "am", "monkey", "mkdir", "md5sum", "rm", "wm", "dumpsys",
                "cat", "touch", "content", "pm", "grep"}


def phone_commands(lines: list[str]) -> list[list[str]]:
    """The commands the phone's shell ran, as argv lists: the hub wraps each one as
    `sh -c '<command>'; echo <sentinel>:$?`, so unwrap that first (anything else is kept whole
    and fails the callers' checks)."""
    import shlex

    out = []
    for line in lines:
        words = shlex.split(line)
        if words[:2] == ["sh", "-c"] and len(words) >= 3:
            for part in words[2].split("; "):
                out.append(shlex.split(part))
        else:
            out.append(words)
    return out


def assert_only_script_commands(lines: list[str], *hostile: str) -> None:
    """Every command is one a script sends (no user text ran as a command); user text appears
    only base64-encoded inside ADB keyboard broadcasts."""
    for argv in phone_commands(lines):
        if argv[:1] in (["echo"], ["getprop"]):      # the health probe's own lines
            continue
        assert argv and argv[0] in SCRIPT_VERBS, argv
    for piece in hostile:
        assert not any(piece in line for line in lines), piece
