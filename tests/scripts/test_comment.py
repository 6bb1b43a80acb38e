"""comment through the Local API on simulated phones behind the real adb server: sequential order
across the fan-out, hostile text byte for byte, a renamed button fails with the step named and
the screen attached."""

from appliance.scripts import controls

from .phonehub import COMPLETED, FAILED, assert_only_script_commands, messages, run_tasks

URLS = ["https://www.tiktok.com/@chef.lu/video/7111111111111111111",
        "https://www.tiktok.com/@dancer_42/video/7222222222222222222"]


def test_two_posts_sequential_comments_land_in_order(phone_hub):
    hub = phone_hub(1)
    tasks = run_tasks(hub, {"serials": hub.serials, "script_name": "comment", "script_config": {
        "target_post_urls": URLS, "comment_content": "first one\nsecond one\nthird one",
        "comment_order": "sequential"}})
    assert [t["status"] for t in tasks] == [COMPLETED, COMPLETED], [t["remark"] for t in tasks]
    assert [t["script_config"]["target_post_url"] for t in tasks] == URLS
    records = hub.sim(hub.serials[0]).app_records("comment")
    assert [(r["video_id"], r["text"]) for r in records] == [
        ("7111111111111111111", "first one"), ("7222222222222222222", "second one")]
    assert any(f"commented on {URLS[0]}: 'first one'" in m for m in messages(tasks[0]))


HOSTILE = ["$(reboot); `id` && echo \"pwned\" > /sdcard/x | 'single' \\ \U0001F525\U0001F602 日本語",
           "two\nlines; rm -rf /sdcard"]


def test_hostile_comments_arrive_byte_for_byte_and_run_nothing(phone_hub):
    hub = phone_hub(1)
    sim = hub.sim(hub.serials[0])
    before = len(sim.command_log)
    tasks = run_tasks(hub, {"serials": hub.serials, "script_name": "comment", "script_config": {
        "target_post_url": "\n".join(URLS), "comment_content": HOSTILE,
        "comment_order": "sequential", "insert_emoji": False}})
    assert all(t["status"] == COMPLETED for t in tasks), [t["remark"] for t in tasks]
    assert [r["text"] for r in sim.app_records("comment")] == HOSTILE
    assert_only_script_commands(sim.command_log[before:], "reboot", "pwned", "rm -rf",
                                "日本語", "`id`")
    assert "x" not in sim.android.run("ls /sdcard")[0].decode().split()
    assert not sim.app_records("crash")


def test_comment_content_is_required(phone_hub):
    hub = phone_hub(1)
    for config in ({"target_post_url": URLS[0]}, {"target_post_url": URLS[0],
                                                  "comment_content": "\n  \n"}):
        status, answer = hub.call("POST", "/task", {"serials": hub.serials,
                                                    "script_name": "comment",
                                                    "script_config": config})
        assert (status, answer["code"]) == (400, 40001)
        assert "script_config.comment_content" in answer["message"]


def test_missing_button_fails_naming_the_step_with_the_screen_kept(phone_hub, monkeypatch):
    hub = phone_hub(1)
    # An app update that moved the send button out of the input's row: the rule finds nothing.
    monkeypatch.setitem(controls.RULES, "comment_send", lambda screen, locale: [])
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "comment",
                              "script_config": {"target_post_url": URLS[0],
                                                "comment_content": "hello"}})
    assert task["status"] == FAILED
    assert task["remark"].startswith("step 'post the comment' failed:"), task["remark"]
    assert "did not show within 8 s" in task["remark"]
    assert "on screen: [comments]" in task["remark"]
    assert task["ui_dump"].startswith("<?xml") and "Add comment..." not in task["ui_dump"]
    assert "hello" in task["ui_dump"]
    assert all(line["level"] != "ui_dump" for line in task["logs"])
    assert not hub.sim(hub.serials[0]).app_records("comment")
