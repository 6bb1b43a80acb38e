"""kill -9 during a write load from several threads, 20 times: every acknowledged write is there
and the store opens cleanly each time."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.storage import Store

pytestmark = pytest.mark.phones   # writer processes killed with -9

WRITER = Path(__file__).with_name("crash_writer.py")
ROOT = Path(__file__).resolve().parents[2]


def run_and_kill(state: Path, rng: random.Random) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(WRITER), str(state), "4"],
                            stdout=subprocess.PIPE, env=env, cwd=ROOT)
    # Kill at a random moment: after a random number of acknowledged writes (no fixed sleeps).
    assert proc.stdout.readline() == b"READY\n"
    lines = [proc.stdout.readline().decode() for _ in range(rng.randint(1, 300))]
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    lines += out.decode().split("\n")[:-1]  # the last piece may be a line cut by the kill
    return [line.strip() for line in lines if line.strip()]


def test_kill_dash_nine_in_a_loop(tmp_path):
    state = tmp_path / "state"
    rng = random.Random(8)
    created: dict[int, int] = {}
    remark: dict[int, int] = {}
    logged: set[int] = set()
    for _ in range(20):
        for line in run_and_kill(state, rng):
            kind, task_id, value = line.split()
            if kind == "C":
                created[int(task_id)] = int(value)
            elif kind == "U":
                remark[int(task_id)] = int(value)
            else:
                logged.add(int(task_id))
        with Store.open(state) as store:  # raises if the store did not open cleanly
            assert store.check() == []
            for task_id, thread in created.items():
                doc = store.tasks.get(task_id)
                assert doc is not None, f"acknowledged task {task_id} lost"
                assert doc["serial"] == f"T{thread}" and doc["script_config"] == {"thread": thread}
                # the last acknowledged remark, or one written later but not yet acknowledged
                assert int(doc["remark"][1:]) >= remark.get(task_id, 0)
            for task_id in logged:
                assert store.tasks.logs(task_id), f"acknowledged log of {task_id} lost"
            assert len(set(store.tasks.ids_where())) == len(store.tasks.ids_where())
    assert len(created) > 100  # the loop really wrote under load
