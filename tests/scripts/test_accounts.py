"""match_account on a simulated phone through the Local API: what the app's account switcher
lists becomes accounts bound to that phone; accounts that left the phone are logged out."""

from .phonehub import COMPLETED, accounts_of, messages, run_tasks


def test_match_account_creates_updates_and_logs_out(phone_hub):
    hub = phone_hub(1)
    (serial,) = hub.serials
    first, second, third = accounts_of(hub, serial)
    moved = hub.ok("POST", "/account", {"username": first, "device": "OTHER-PHONE",
                                        "tags": ["kept"], "password": "pw"})
    stale = hub.ok("POST", "/account", {"username": "gone_from_app", "device": serial,
                                        "logged_in": True})
    (task,) = run_tasks(hub, {"serials": [serial], "script_name": "match_account"})
    assert task["status"] == COMPLETED, task["remark"]
    assert task["remark"] == f"bound 3 account(s) to {serial}: @{first}, @{second}, @{third}"
    assert any(m.startswith(f"logged in on the phone: @{first}, @{second}, @{third} "
                            f"(current @{first})") for m in messages(task))

    after = {a["username"]: a for a in hub.ok("GET", "/account")["accounts"]}
    assert set(after) == {first, second, third, "gone_from_app"}
    for name in (first, second, third):
        assert (after[name]["device"], after[name]["logged_in"]) == (serial, True)
    assert after[first]["id"] == moved["id"] and after[first]["tags"] == ["kept"]
    assert after[first]["has_password"] is True                 # an update keeps the rest
    assert (after["gone_from_app"]["id"], after["gone_from_app"]["logged_in"]) == (stale["id"], False)
    # the app was left on the account it was on
    assert not hub.sim(serial).app_records("switch_account")


def test_match_account_again_changes_nothing(phone_hub):
    hub = phone_hub(1)
    run_tasks(hub, {"serials": hub.serials, "script_name": "match_account"})
    before = hub.ok("GET", "/account")["accounts"]
    run_tasks(hub, {"serials": hub.serials, "script_name": "match_account"})
    after = hub.ok("GET", "/account")["accounts"]
    strip = lambda docs: [{k: v for k, v in d.items() if k != "updated_at"} for d in docs]
    assert strip(after) == strip(before) and len(after) == 3
