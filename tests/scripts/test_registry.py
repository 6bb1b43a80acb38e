"""The script registry is loud: duplicates raise, unknown and not-yet-built names are 40003."""

import pytest

from appliance.errors import InvalidParams, ScriptNotSupported
from appliance.scripts import KNOWN_TIKMATRIX_NAMES, Script, default_registry


def test_default_registry_has_account_warmup():
    registry = default_registry()
    assert "account_warmup" in registry.names()
    assert registry.get("account_warmup").name == "account_warmup"


def test_duplicate_name_raises():
    registry = default_registry()
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.get("account_warmup"))


@pytest.mark.parametrize("name", KNOWN_TIKMATRIX_NAMES)
def test_known_but_unbuilt_names_say_not_yet(name):
    with pytest.raises(ScriptNotSupported) as info:
        default_registry().get(name)
    assert info.value.code == 40003
    assert "not supported via the API yet" in info.value.message
    assert "account_warmup" in info.value.message


def test_unknown_name_lists_supported():
    with pytest.raises(ScriptNotSupported) as info:
        default_registry().get("bogus")
    assert "account_warmup" in info.value.message and "bogus" in info.value.message


def test_fresh_registry_each_call():
    class Extra(Script):
        name = "extra"

    first = default_registry()
    first.register(Extra())
    assert "extra" not in default_registry().names()


def test_warmup_defaults_and_extra_keys_kept():
    config = default_registry().get("account_warmup").validate({"like_probable": 5, "old_key": 1})
    assert config["like_probable"] == 5 and config["old_key"] == 1
    # TikMatrix's documented defaults: every interaction off unless asked for
    assert config["floow_probable"] == 0 and config["comment_order"] == "random"


@pytest.mark.parametrize("config, field", [
    ({"like_probable": 150}, "script_config.like_probable"),
    ({"floow_probable": "x"}, "script_config.floow_probable"),
    ({"comment_order": "backwards"}, "script_config.comment_order"),
    ({"min_duration": 50, "max_duration": 10}, "script_config.min_duration"),
    ({"task_duration": 0}, "script_config.task_duration"),
])
def test_warmup_bad_config_names_field(config, field):
    with pytest.raises(InvalidParams) as info:
        default_registry().get("account_warmup").validate(config)
    assert info.value.data["field"] == field
    assert field in info.value.message
