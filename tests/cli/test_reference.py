"""The README's CLI reference is the commands' own --help: a test fails when it drifts."""

from __future__ import annotations

import pytest

from appliance.cli import main
from appliance.cli.reference import README, readme_section, render


def test_every_command_is_in_the_reference():
    text = render()
    names = []

    def walk(command, path):
        names.append(" ".join(path))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(main, ["appliance"])
    for name in names:
        assert f"### `{name}`" in text
    assert "appliance tasks wait" in names and "appliance db backup" in names


def test_readme_cli_reference_is_current():
    if not README.exists():
        pytest.skip("README.md does not exist yet")
    try:
        current = readme_section(README.read_text(encoding="utf-8"))
    except ValueError:
        pytest.fail("README.md lacks the <!-- cli-reference:start --> / :end markers")
    assert current == render().strip("\n"), (
        "README.md's CLI reference differs from the commands' --help; regenerate it with:\n"
        "    python -m appliance.cli.reference --write")
