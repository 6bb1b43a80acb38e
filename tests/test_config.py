"""Config: defaults, TOML, environment overrides, and start-up errors that name the setting."""

from __future__ import annotations

import pytest

from appliance.config import SETTINGS, load_config
from appliance.errors import ConfigError


def test_defaults_serve_the_api_on_50809_with_pro():
    config = load_config(env={})
    assert (config.host, config.port, config.plan, config.max_body_bytes) == (
        "0.0.0.0", 50809, "Pro", 1048576)


def test_file_then_environment(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text('port = 6000\nplan = "team"\ntrusted_networks = ["10.1.0.0/16"]\n')
    config = load_config(path, env={"APPLIANCE_PORT": "7000", "APPLIANCE_AUTO_RETRY": "yes"})
    assert config.port == 7000 and config.plan == "Team" and config.auto_retry is True
    assert config.trusted_networks == ("10.1.0.0/16",)


@pytest.mark.parametrize("text,words", [
    ("prot = 1\n", ["'prot'", "Unknown setting"]),
    ("port = 70000\n", ["'port'", "at most 65535"]),
    ('plan = "Gold"\n', ["'plan'", "Starter"]),
    ('trusted_networks = ["nowhere"]\n', ["trusted_networks", "nowhere"]),
    ("port = \n", ["not valid TOML"]),
    ('shell_api_enabled = "maybe"\n', ["shell_api_enabled"]),
])
def test_bad_file_names_the_setting(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    for word in words:
        assert word in err.value.message


def test_bad_environment_names_the_variable():
    with pytest.raises(ConfigError) as err:
        load_config(env={"APPLIANCE_THREADS": "many"})
    assert "APPLIANCE_THREADS" in err.value.message
    with pytest.raises(ConfigError) as err:
        load_config(env={"APPLIANCE_COLOUR": "blue"})
    assert "'colour'" in err.value.message


def test_missing_file_says_so(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "none.toml", env={})
    assert "does not exist" in err.value.message


def test_every_setting_has_help():
    assert all(s.help.endswith(".") or s.help.endswith(")") for s in SETTINGS)


def test_serve_refuses_to_start_with_a_bad_setting(tmp_path):
    from click.testing import CliRunner

    from appliance.cli import main

    path = tmp_path / "bad.toml"
    path.write_text("max_body_bytes = 12\n")
    result = CliRunner().invoke(main, ["--config", str(path), "serve", "--no-adb"])
    assert result.exit_code == 1
    assert "max_body_bytes" in result.output and "Traceback" not in result.output


def test_settings_and_config_fields_agree():
    """SETTINGS (help, conversion) and Config (types, defaults) name the same settings in the
    same order, and each default of Config is its setting's default once converted."""
    import dataclasses

    from appliance.config import Config

    fields = dataclasses.fields(Config)
    assert [f.name for f in fields] == [s.name for s in SETTINGS]
    for f, setting in zip(fields, SETTINGS, strict=True):
        assert f.default == setting.convert(setting.default), f.name
        assert type(f.default).__name__ in str(f.type) or f.type == "Path", (f.name, f.type)
