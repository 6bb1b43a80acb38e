"""follow and unfollow through the Local API on two simulated phones behind the real adb server:
one task per target per phone, deep link or search, "already following" is a remark, unfollow
undoes them."""

from .phonehub import COMPLETED, messages, run_tasks

TARGETS = ["dancer_42", "chef.lu", "@cat_videos"]


def test_three_targets_on_two_phones_make_six_follows_and_unfollow_undoes_them(phone_hub):
    hub = phone_hub(2)
    tasks = run_tasks(hub, {"serials": hub.serials, "script_name": "follow",
                            "script_config": {"target_users": TARGETS,
                                              # TikMatrix: the list wins over the string
                                              "target_user": "ignored_when_a_list_is_given"}})
    assert len(tasks) == 6
    assert all(t["status"] == COMPLETED for t in tasks), [t["remark"] for t in tasks]
    names = ["dancer_42", "chef.lu", "cat_videos"]
    # each task holds its single target, '@' dropped
    assert sorted(t["script_config"]["target_user"] for t in tasks) == sorted(names * 2)
    assert all(t["script_config"]["target_users"] == [t["script_config"]["target_user"]]
               for t in tasks)
    for serial in hub.serials:
        follows = hub.sim(serial).app_records("follow")
        assert sorted(r["username"] for r in follows) == sorted(names)
        assert {r["via"] for r in follows} == {"profile"}
    assert {t["remark"] for t in tasks} == {f"followed @{n}" for n in names}
    assert any(m.startswith("opening https://www.tiktok.com/@") for m in messages(tasks[0]))

    again = run_tasks(hub, {"serials": hub.serials[:1], "script_name": "follow",
                            "script_config": {"target_user": "dancer_42"}})
    assert again[0]["status"] == COMPLETED
    assert again[0]["remark"] == "already following @dancer_42"
    assert len(hub.sim(hub.serials[0]).app_records("follow")) == 3

    undone = run_tasks(hub, {"serials": hub.serials, "script_name": "unfollow",
                             "script_config": {"target_user": "dancer_42,chef.lu\ncat_videos"}})
    assert len(undone) == 6 and all(t["status"] == COMPLETED for t in undone)
    for serial in hub.serials:
        sim = hub.sim(serial)
        assert sorted(r["username"] for r in sim.app_records("unfollow")) == sorted(names)
        with sim.android.ui_lock:
            assert not any(a.following for a in sim.ui.app.accounts.values())


def test_follow_by_search_and_targets_are_required(phone_hub):
    hub = phone_hub(1)
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "follow",
                              "script_config": {"target_users": ["searched.one"],
                                                "access_method": "search"}})
    assert task["status"] == COMPLETED, task["remark"]
    assert any("searching for @searched.one" in m for m in messages(task))
    assert hub.sim(hub.serials[0]).app_records("follow")[-1]["username"] == "searched.one"
    status, answer = hub.call("POST", "/task", {"serials": hub.serials, "script_name": "follow",
                                                "script_config": {"target_user": " , \n"}})
    assert (status, answer["code"]) == (400, 40001) and "target_users" in answer["message"]


def test_hostile_usernames_reach_the_app_exactly_and_run_nothing(phone_hub):
    from .phonehub import assert_only_script_commands

    hub = phone_hub(1)
    sim = hub.sim(hub.serials[0])
    before = len(sim.command_log)
    weird = ["o'brien$(reboot)", "semi;colon`id`", "ünïcödé_名前"]
    tasks = run_tasks(hub, {"serials": hub.serials, "script_name": "follow",
                            "script_config": {"target_users": weird}})
    tasks += run_tasks(hub, {"serials": hub.serials, "script_name": "follow",
                             "script_config": {"target_users": ["found$(reboot)"],
                                               "access_method": "search"}})
    assert all(t["status"] == COMPLETED for t in tasks), [t["remark"] for t in tasks]
    assert [r["username"] for r in sim.app_records("follow")] == [*weird, "found$(reboot)"]
    # (deep links carry the name percent-encoded: its letters may show, its $ ( ) ; ` do not)
    assert_only_script_commands(sim.command_log[before:], "$(reboot)", "`id`", ";colon", "名前")
