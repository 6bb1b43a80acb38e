"""like through the Local API on a simulated phone: each post liked once (an already liked post
is left as it is and the log says so), the list wins over the string, bad URLs are 40001."""

from .phonehub import COMPLETED, messages, run_tasks

URLS = ["https://www.tiktok.com/@chef.lu/video/7111111111111111111",
        "https://www.tiktok.com/@dancer_42/video/7222222222222222222"]


def test_each_post_is_liked_once_and_a_liked_one_is_left_alone(phone_hub):
    hub = phone_hub(1)
    sim = hub.sim(hub.serials[0])
    tasks = run_tasks(hub, {"serials": hub.serials, "script_name": "like", "script_config": {
        "target_post_urls": URLS, "target_post_url": "https://www.tiktok.com/@x/video/1"}})
    assert [t["status"] for t in tasks] == [COMPLETED, COMPLETED], [t["remark"] for t in tasks]
    assert [t["script_config"]["target_post_url"] for t in tasks] == URLS  # the list wins
    assert [r["video_id"] for r in sim.app_records("like")] == [
        "7111111111111111111", "7222222222222222222"]
    assert tasks[0]["remark"] == f"liked {URLS[0]}"

    (again,) = run_tasks(hub, {"serials": hub.serials, "script_name": "like",
                               "script_config": {"target_post_url": URLS[0]}})
    assert again["status"] == COMPLETED and again["remark"] == f"already liked {URLS[0]}"
    assert any("already liked: left as it is" in m for m in messages(again))
    assert len(sim.app_records("like")) == 2 and not sim.app_records("unlike")


def test_bad_like_configs_are_40001_naming_the_field(phone_hub):
    hub = phone_hub(1)
    for config in ({}, {"target_post_url": " \n "}, {"target_post_urls": ["not a url"]},
                   {"target_post_urls": "https://www.tiktok.com/@a/video/1"}):
        status, answer = hub.call("POST", "/task", {"serials": hub.serials, "script_name": "like",
                                                    "script_config": config})
        assert (status, answer["code"]) == (400, 40001), answer
        assert answer["data"]["field"] == "script_config.target_post_urls", answer
