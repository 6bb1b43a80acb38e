"""Hostile media paths for `post` (security review): names too long for the file system or
unreadable folders are 40001 naming the field, and no answer shows where the media folder is."""

import os

import falcon.testing
import pytest

from appliance.api.app import create_app
from appliance.services import build_services
from tests.hubkit import LOCAL_HOST, hub_config


@pytest.fixture
def api(tmp_path):
    services = build_services(hub_config(tmp_path))
    services.config.media_path.mkdir(parents=True, exist_ok=True)
    (services.config.media_path / "ok.mp4").write_bytes(b"x")
    yield falcon.testing.TestClient(create_app(services), headers=LOCAL_HOST), services
    services.close()


def create(client, config):
    return client.simulate_post("/api/v1/task", json={
        "serials": ["A1"], "script_name": "post", "script_config": config}).json


@pytest.mark.parametrize("config, field", [
    ({"material_list": ["a" * 1000 + ".mp4"]}, "script_config.material_list[0]"),
    ({"material_list": ["ok.mp4", "d/" * 100 + "b" * 300 + ".mp4"]}, "script_config.material_list[1]"),
    ({"material_source": "localFolder", "material_path": "a" * 1000}, "script_config.material_path"),
])
def test_names_too_long_are_40001_naming_the_field(api, config, field):
    answer = create(api[0], config)
    assert answer["code"] == 40001 and answer["data"]["field"] == field, answer


def test_paths_outside_do_not_reveal_the_media_folder(api):
    client, services = api
    for value in ("../x.mp4", "/etc/passwd", str(services.config.state_dir / "api-token")):
        answer = create(client, {"material_list": [value]})
        assert answer["code"] == 40001
        assert str(services.config.media_path) not in answer["message"].replace(value, "")
        assert "media_dir" in answer["message"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_is_40001(api):
    client, services = api
    locked = services.config.media_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        answer = create(client, {"material_source": "localFolder", "material_path": "locked"})
        assert answer["code"] == 40001 and answer["data"]["field"] == "script_config.material_path"
    finally:
        locked.chmod(0o755)
