"""Multi-account and usernames modes through the Local API on simulated phones: each task switches
the app to its account first; match_account binds what is logged in on a phone."""

from .phonehub import COMPLETED, FAILED, accounts_of, messages, run_tasks


def test_three_accounts_on_one_phone_each_run_as_itself(phone_hub):
    hub = phone_hub(1)
    (serial,) = hub.serials
    first, second, third = accounts_of(hub, serial)     # `first` is the app's current account
    for name in (second, third, first):                 # so every task has to switch
        hub.ok("POST", "/account", {"username": name, "device": serial})
    hub.ok("POST", "/account", {"username": "resting", "device": serial, "enabled": False})
    tasks = run_tasks(hub, {"serials": [serial], "script_name": "follow",
                            "enable_multi_account": True,
                            "script_config": {"target_user": "dancer_42"}})
    assert [t["username"] for t in tasks] == [second, third, first]
    assert all(t["status"] == COMPLETED for t in tasks), [t["remark"] for t in tasks]
    records = [r for r in hub.sim(serial).app_records()
               if r["kind"] in ("switch_account", "follow")]
    assert [(r["kind"], r["account"]) for r in records] == [
        ("switch_account", second), ("follow", second),
        ("switch_account", third), ("follow", third),
        ("switch_account", first), ("follow", first)]
    assert any(m == f"switched the app from @{first} to @{second}" for m in messages(tasks[0]))


def test_match_account_binds_then_usernames_mode_lands_on_each_phone(phone_hub):
    hub = phone_hub(2)
    tasks = run_tasks(hub, {"serials": hub.serials, "script_name": "match_account"})
    assert all(t["status"] == COMPLETED for t in tasks), [t["remark"] for t in tasks]
    listing = hub.ok("GET", "/account")
    by_phone = {s: sorted(a["username"] for a in listing["accounts"] if a["device"] == s)
                for s in hub.serials}
    for serial in hub.serials:
        assert by_phone[serial] == sorted(accounts_of(hub, serial))
    assert all(a["logged_in"] and a["enabled"] for a in listing["accounts"])

    chosen = [by_phone[hub.serials[0]][2], by_phone[hub.serials[1]][1]]
    done = run_tasks(hub, {"usernames": chosen, "script_name": "comment", "script_config": {
        "target_post_url": "https://www.tiktok.com/@chef.lu/video/7333333333333333333",
        "comment_content": "from the right phone"}})
    assert [(t["serial"], t["username"]) for t in done] == list(zip(hub.serials, chosen, strict=False))
    assert all(t["status"] == COMPLETED for t in done), [t["remark"] for t in done]
    for serial, name in zip(hub.serials, chosen, strict=False):
        (comment,) = hub.sim(serial).app_records("comment")
        assert comment["account"] == name


def test_no_enabled_account_is_40004_and_unknown_username_40001(phone_hub):
    hub = phone_hub(1)
    status, answer = hub.call("POST", "/task", {"serials": hub.serials, "script_name": "follow",
                                                "enable_multi_account": True,
                                                "script_config": {"target_user": "x"}})
    assert (status, answer["code"]) == (400, 40004)
    hub.ok("POST", "/account", {"username": "known", "device": hub.serials[0]})
    status, answer = hub.call("POST", "/task", {"usernames": ["known", "ghost"],
                                                "script_name": "follow",
                                                "script_config": {"target_user": "x"}})
    assert (status, answer["code"]) == (400, 40001) and "ghost" in answer["message"]
    assert hub.ok("GET", "/task/stats")["total"] == 0


def test_account_not_logged_in_on_the_phone_fails_naming_it(phone_hub):
    hub = phone_hub(1)
    hub.ok("POST", "/account", {"username": "elsewhere", "device": hub.serials[0]})
    (task,) = run_tasks(hub, {"usernames": ["elsewhere"], "script_name": "follow",
                              "script_config": {"target_user": "dancer_42"}})
    assert task["status"] == FAILED
    assert task["remark"].startswith("step 'switch to account @elsewhere' failed: @elsewhere "
                                     "is not logged in on this phone")
    assert "Switch account" in task["ui_dump"]
    assert not hub.sim(hub.serials[0]).app_records("follow")


def test_an_account_in_a_clone_app_runs_in_that_app(phone_hub, monkeypatch):
    from appliance.scripts import app_script

    hub = phone_hub(1)
    (serial,) = hub.serials
    clone = "com.zhiliaoapp.musically.go"
    sim = hub.sim(serial)
    with sim.android.ui_lock:
        sim.ui.install(clone)            # the simulator runs only the main app's screens
    hub.ok("POST", "/account", {"username": "twin", "device": serial, "package_name": clone})
    monkeypatch.setattr(app_script.start_app, "__defaults__", (1.0,))   # fail fast
    before = len(sim.command_log)
    (task,) = run_tasks(hub, {"usernames": ["twin"], "script_name": "follow",
                              "script_config": {"target_user": "dancer_42"}})
    assert "@twin lives in the app com.zhiliaoapp.musically.go" in messages(task)
    launched = [c for c in sim.command_log[before:] if "monkey" in c or "force-stop" in c]
    assert launched and all(clone in c for c in launched)
    assert task["status"] == FAILED and "step 'open the app'" in task["remark"]
