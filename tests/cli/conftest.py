"""Fixtures for the admin CLI: a CliRunner bound to one config, and a live hub to talk to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from appliance.cli import main
from tests.hubkit import hub_config, running_hub


@dataclass
class Cli:
    """Runs `appliance ...` in-process with APPLIANCE_* env for a given state dir and port."""

    state_dir: Path
    port: int = 1  # nothing listens on port 1: "no hub"
    env: dict = field(default_factory=dict)

    def __call__(self, *args: str, **env: str) -> Result:
        full = {"APPLIANCE_CONFIG": None, "APPLIANCE_STATE_DIR": str(self.state_dir),
                "APPLIANCE_HOST": "127.0.0.1", "APPLIANCE_PORT": str(self.port), **self.env, **env}
        return CliRunner().invoke(main, list(args), env=full, catch_exceptions=False)


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
