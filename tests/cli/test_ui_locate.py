"""`appliance ui locate`: the screen's name and each control's place, from a dump file or from a
phone's live screen through the running hub. The locating belongs to the scripts
(`appliance.scripts.locate`); the CLI's own tests stand a small locator in for it, and one test
runs the real one once it exists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.services import ui as ui_service
from tests.fixtures import Cli, free_port, wait_for
from tests.hubkit import hub_config, running_hub

DUMP = ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
        "<node index=\"0\" text=\"Für dich\" resource-id=\"\" class=\"android.widget.FrameLayout\" "
        "package=\"com.zhiliaoapp.musically\" bounds=\"[0,0][1080,2400]\" /></hierarchy>")
FOUND = {"screen": "feed", "controls": {"feed.like": [984, 1101, 1068, 1185],
                                        "feed.comment": [984, 1263, 1068, 1347],
                                        "comment.input": None}}


@pytest.fixture
def locator(monkeypatch):
    """A stand-in for appliance.scripts.locate behind services.ui; records what it was given."""
    seen: list[str] = []

    def locate_screen(xml: str) -> dict:
        seen.append(xml)
        return json.loads(json.dumps(FOUND)) if "hierarchy" in xml else {"screen": None,
                                                                          "controls": {}}

    monkeypatch.setattr(ui_service, "locate_screen", locate_screen)
    return seen


def dump_file(tmp_path: Path, text: str = DUMP, name: str = "screen.xml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_locate_prints_the_screen_and_where_each_control_is(cli, tmp_path, locator):
    result = cli("ui", "locate", dump_file(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["screen: feed",
                                          "  feed.like      [984,1101,1068,1185]",
                                          "  feed.comment   [984,1263,1068,1347]",
                                          "  comment.input  -"]
    assert locator == [DUMP]   # the file's text, as it is (UTF-8)

    result = cli("ui", "locate", "--json", dump_file(tmp_path))
    assert result.exit_code == 0 and result.output == json.dumps(FOUND) + "\n"


def test_an_unknown_screen_says_so(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(ui_service, "locate_screen",
                        lambda xml: {"screen": None, "controls": {"feed.like": None}})
    result = cli("ui", "locate", dump_file(tmp_path))
    assert result.exit_code == 0 and result.output.splitlines() == ["screen: unknown",
                                                                    "  feed.like  -"]


@pytest.mark.parametrize("text, words", [
    ("ERROR: could not get idle state.\n", "is not XML"),
    ("", "is empty"),
    ("<html><body>hi</body></html>", "not a uiautomator dump (no <hierarchy>, its root is <html>)"),
])
def test_a_file_that_is_not_a_dump_is_a_clear_error(cli, tmp_path, locator, text, words):
    path = dump_file(tmp_path, text)
    result = cli("ui", "locate", path)
    assert result.exit_code == 1 and words in result.output and path in result.output
    assert "appliance devices dump SERIAL -o screen.xml" in result.output
    assert locator == []   # nothing that is not a dump reaches the locator


def test_bad_arguments_and_missing_files(cli, tmp_path, locator):
    result = cli("ui", "locate", str(tmp_path / "nope.xml"))
    assert result.exit_code == 1 and "no file" in result.output
    (tmp_path / "binary.xml").write_bytes(b"\xff\xfe\x00<")
    result = cli("ui", "locate", str(tmp_path / "binary.xml"))
    assert result.exit_code == 1 and "not UTF-8" in result.output
    result = cli("ui", "locate")
    assert result.exit_code == 2 and "either a dump FILE or --serial" in result.output
    result = cli("ui", "locate", dump_file(tmp_path), "--serial", "R58M123ABC")
    assert result.exit_code == 2
    result = cli("ui", "locate", "--serial", "R58M123ABC")   # no hub at cli's port
    assert result.exit_code == 1 and "no hub answers" in result.output


def test_locate_reads_a_phone_through_the_running_hub(tmp_path, sim_farm, locator):
    farm = sim_farm(1)
    phone = farm.phones[0]
    config = hub_config(tmp_path, adb_enabled=True, adb_port=free_port(), adb_path="/usr/bin/adb")
    with running_hub(config) as hub:
        cli = Cli(Path(config.state_dir), hub.server.port)
        hub.services.devices.connect(phone.address)
        wait_for(lambda: hub.services.devices.tracker.usable(phone.address), 5)
        result = cli("ui", "locate", "--json", "--serial", phone.address)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == FOUND
        assert locator and locator[0].lstrip().startswith("<?xml") and "<hierarchy" in locator[0]

        result = cli("ui", "locate", "--serial", "NOPE")
        assert result.exit_code == 1 and "No device NOPE" in result.output


def test_the_real_locator_reads_a_simulated_phone(cli, tmp_path, sim_farm):
    from appliance.scripts.locate import locate

    phone = sim_farm(1).phones[0]
    phone.run_shell("monkey -p com.zhiliaoapp.musically 1")   # the app in front: its feed
    xml = phone.ui.dump_xml()
    result = cli("ui", "locate", "--json", dump_file(tmp_path, xml))
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found == json.loads(json.dumps(locate(xml)))
    assert set(found) == {"screen", "controls"}
    assert {"feed.like", "nav.home", "comment.input", "post.publish"} <= set(found["controls"])
    for box in found["controls"].values():
        assert box is None or (len(box) == 4 and all(isinstance(v, int) for v in box))
    assert found["screen"] and any(found["controls"].values())   # a screen of the app, placed
    table = cli("ui", "locate", dump_file(tmp_path, xml)).output.splitlines()
    assert table[0] == f"screen: {found['screen'] or 'unknown'}"
    assert len(table) == 1 + len(found["controls"])
