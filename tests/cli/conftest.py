"""Fixtures for the admin CLI: a CliRunner bound to one config, and a live hub to talk to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import Cli
from tests.hubkit import hub_config, running_hub


@pytest.fixture
def cli(tmp_path) -> Cli:
    return Cli(tmp_path / "state")


@pytest.fixture
def live_hub(tmp_path):
    """The real hub (API + store, adb off) on a free port, and a Cli pointed at it."""
    config = hub_config(tmp_path)
    with running_hub(config) as hub:
        hub.cli = Cli(Path(config.state_dir), hub.server.port)
        yield hub
