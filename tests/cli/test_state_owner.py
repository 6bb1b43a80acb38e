"""Run as root (sudo), token and license commands write files the service user can read."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from appliance.services.statefiles import PLAN_FILE, TOKEN_FILE
from tests.fixtures import Cli

NOBODY = 65534


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, as `sudo appliance token ...` has")
def test_root_writes_state_files_as_the_state_dirs_owner():
    # Not under pytest's tmp_path: that folder is 0700 root, which the owner could not enter.
    top = Path(tempfile.mkdtemp(prefix="appliance-owner-"))
    try:
        top.chmod(0o755)
        state = top / "state"
        state.mkdir(mode=0o750)
        os.chown(state, NOBODY, NOBODY)
        cli = Cli(state)
        token = cli("token", "rotate").stdout.strip()
        assert cli("license", "set", "Team").exit_code == 0
        for name in (TOKEN_FILE, PLAN_FILE):
            st = (state / name).stat()
            assert (st.st_uid, st.st_gid) == (NOBODY, NOBODY), name
        assert (state / TOKEN_FILE).stat().st_mode & 0o777 == 0o600
        assert cli("token", "show").stdout.strip() == token
        assert os.geteuid() == 0 and os.getegid() == 0  # back to root afterwards
    finally:
        shutil.rmtree(top)
