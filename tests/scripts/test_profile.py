"""profile through the Local API on a simulated phone: name, username, bio, link and photo
changed (the app's records show each field), sequential picks, the photo from the media folder
(confined: outside it is 40001), bad configs are 40001 naming the field."""

import pytest

from .phonehub import COMPLETED, accounts_of, media_file, messages, run_tasks


def edits(sim) -> dict:
    return {r["field"]: r["value"] for r in sim.app_records("edit_profile")}


@pytest.mark.parametrize("locale,build", [("en", 1), ("fr", 3)])
def test_every_field_and_the_photo_change(phone_hub, locale, build):
    hub = phone_hub(1, locale=locale, app_build=build)
    sim = hub.sim(hub.serials[0])
    media_file(hub, "avatars/face.png", 2048)
    media_file(hub, "avatars/notes.txt", 10)
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "profile", "script_config": {
        "nicknames": "Zoé Ünï\nSecond Name", "usernames": ["@zoe.new_1", "other_2"],
        "bios": ["line one\nline two ✨", "b"], "link_url": "https://example.org/zoe",
        "avatars_path": "avatars", "profile_order": "sequential"}})
    assert task["status"] == COMPLETED, (task["remark"], messages(task))
    assert edits(sim) == {"name": "Zoé Ünï", "username": "zoe.new_1",
                          "bio": "line one\nline two ✨", "link": "https://example.org/zoe",
                          "avatar": f"/sdcard/DCIM/hub-{task['id']}/face.png"}
    assert task["remark"] == "profile updated: name, username, bio, link, photo"
    assert "zoe.new_1" in accounts_of(hub, hub.serials[0])
    assert any("removed the pushed media" in m for m in messages(task))


def test_only_the_given_fields_change_and_random_picks_from_the_list(phone_hub):
    hub = phone_hub(1)
    sim = hub.sim(hub.serials[0])
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "profile",
                              "script_config": {"bios": "first bio\nsecond bio"}})
    assert task["status"] == COMPLETED, task["remark"]
    assert list(edits(sim)) == ["bio"] and edits(sim)["bio"] in ("first bio", "second bio")


def test_bad_profile_configs_are_40001_naming_the_field(phone_hub, tmp_path):
    hub = phone_hub(1)
    outside = tmp_path / "elsewhere.png"
    outside.write_bytes(b"x")
    media_file(hub, "docs/readme.txt", 10)
    for config, field in (({}, "nicknames"), ({"usernames": "bad name!"}, "usernames"),
                          ({"link_url": "javascript:alert(1)"}, "link_url"),
                          ({"avatars_path": str(outside)}, "avatars_path"),
                          ({"avatars_path": "../../etc"}, "avatars_path"),
                          ({"avatars_path": "docs"}, "avatars_path"),
                          ({"bios": "x", "profile_order": "zigzag"}, "profile_order")):
        status, answer = hub.call("POST", "/task", {"serials": hub.serials,
                                                    "script_name": "profile",
                                                    "script_config": config})
        assert (status, answer["code"]) == (400, 40001), (config, answer)
        assert answer["data"]["field"] == f"script_config.{field}", answer
