"""message through the Local API on simulated phones: one DM per target (the list wins over the
string), sequential templates with spintax and emoji typed byte for byte, deep link or search,
bad configs are 40001 naming the field."""

import pytest

from .phonehub import COMPLETED, assert_only_script_commands, messages, run_tasks

HOSTILE = "$(reboot); `id` && echo \"x\" 日本語 \U0001F525\nsecond line"


def test_sequential_templates_with_spintax_and_emoji_land_in_each_chat(phone_hub):
    hub = phone_hub(1)
    sim = hub.sim(hub.serials[0])
    before = len(sim.command_log)
    tasks = run_tasks(hub, {"serials": hub.serials, "script_name": "message", "script_config": {
        "target_users": ["@dancer_42", "chef.lu", "cat_videos"], "target_user": "ignored_one",
        "message_contents": ["Hi {there|friend}! 👋", HOSTILE], "message_order": "sequential"}})
    assert [t["status"] for t in tasks] == [COMPLETED] * 3, [t["remark"] for t in tasks]
    sent = [(r["username"], r["text"]) for r in sim.app_records("message")]
    assert [u for u, _ in sent] == ["dancer_42", "chef.lu", "cat_videos"]
    assert sent[0][1] in ("Hi there! 👋", "Hi friend! 👋")
    assert sent[1][1] == HOSTILE and sent[2][1] in ("Hi there! 👋", "Hi friend! 👋")
    assert tasks[1]["remark"] == "messaged @chef.lu"
    assert any(m.startswith("sent @chef.lu: ") for m in messages(tasks[1]))
    assert_only_script_commands(sim.command_log[before:], "reboot", "日本語", "`id`")


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_search_access_and_insert_emoji(phone_hub, locale):
    hub = phone_hub(1, locale=locale, app_build=2)
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "message", "script_config": {
        "target_user": "dancer_42", "message_contents": "hello", "insert_emoji": True,
        "access_method": "search"}})
    assert task["status"] == COMPLETED, task["remark"]
    (record,) = hub.sim(hub.serials[0]).app_records("message")
    assert record["username"] == "dancer_42" and record["text"].startswith("hello ")
    assert len(record["text"]) > len("hello ")


def test_bad_message_configs_are_40001_naming_the_field(phone_hub):
    hub = phone_hub(1)
    for config, field in (({"target_user": "a"}, "message_contents"),
                          ({"target_user": "a", "message_contents": " \n "}, "message_contents"),
                          ({"message_contents": "hi"}, "target_users"),
                          ({"target_user": "a/b", "message_contents": "hi"}, "target_users"),
                          ({"target_user": "a", "message_contents": "hi",
                            "message_order": "shuffled"}, "message_order")):
        status, answer = hub.call("POST", "/task", {"serials": hub.serials,
                                                    "script_name": "message",
                                                    "script_config": config})
        assert (status, answer["code"]) == (400, 40001), answer
        assert answer["data"]["field"] == f"script_config.{field}", answer
