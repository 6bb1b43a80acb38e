"""post with TikMatrix's options (docs/api/post-script.md, tikmatrix/www.tikmatrix.com) on
simulated phones: the three post_way flows, add_sound with volumes, Title##Description and ###,
add_product_link, placement; and the options that need another one answered 40001."""

from .phonehub import COMPLETED, media_file, messages, run_tasks


def post(hub, config: dict) -> tuple[dict, dict]:
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "post",
                              "script_config": {"upload_wait_time": 30, **config}}, timeout=90)
    assert task["status"] == COMPLETED, (task["remark"], messages(task))
    return task, hub.sim(hub.serials[0]).app_records("post")[-1]


def test_share_is_the_default_way_and_keeps_the_sound(phone_hub):
    hub = phone_hub(1)
    media_file(hub, "s.mp4", 2222)
    # docs/api/post-script.md "Basic Post Task with Direct Material List" (path made local)
    task, record = post(hub, {"content_type": 0, "captions": "Check out my new video! #viral #fyp",
                              "material_list": ["s.mp4"], "upload_wait_time": 60})
    assert (record["via"], record["sound"], record["placement"]) == ("share", None, "post")
    assert record["caption"] == "Check out my new video! #viral #fyp" and record["title"] == ""
    assert [m["name"] for m in record["media"]] == ["s.mp4"]
    shared = hub.sim(hub.serials[0]).app_records("share_received")
    assert shared and shared[-1]["refused"] is None
    assert "shared s.mp4 with the app (system share)" in messages(task)


def test_add_button_with_title_line_breaks_spintax_and_product_link(phone_hub):
    hub = phone_hub(1)
    media_file(hub, "a.mp4", 100)
    task, record = post(hub, {"post_way": "addButton", "material_list": ["a.mp4"],
                              "captions": "{Big|Huge} news##line one###line two #fyp",
                              "add_product_link": 1})
    assert record["via"] == "addButton" and record["title"] in ("Big news", "Huge news")
    assert record["caption"] == "line one\nline two #fyp" and record["product_link"] is True
    assert f"typed the title {record['title']!r}" in messages(task)


def test_use_sound_by_link_and_by_search(phone_hub):
    hub = phone_hub(1)
    media_file(hub, "u.mp4", 100)
    # docs/api/post-script.md "Post Using Specific Sound URL" (media listed, not the library)
    _, by_link = post(hub, {"post_way": "useSound",
                            "sound_name": "https://www.tiktok.com/music/original-sound-7123456789",
                            "captions": "Using this awesome sound!", "material_list": ["u.mp4"]})
    assert (by_link["via"], by_link["sound"], by_link["sound_id"]) == \
        ("useSound", "original sound", "7123456789")
    task, by_name = post(hub, {"post_way": "useSound", "sound_name": "viral beat",
                               "material_list": ["u.mp4"], "add_sound": 1})
    assert (by_name["via"], by_name["sound"]) == ("useSound", "viral beat")
    assert "opened the sound 'viral beat'" in messages(task)
    # custom replaces the page's sound: the editor's label then shows the page's sound title
    _, replaced = post(hub, {"post_way": "useSound", "sound_name": "viral beat",
                             "add_sound": "custom", "custom_sound_keyword": "night drive",
                             "sound_wait_time": 0, "material_list": ["u.mp4"]})
    assert (replaced["via"], replaced["sound"]) == ("useSound", "night drive")


def test_add_sound_custom_and_on_with_volumes(phone_hub):
    hub = phone_hub(1)
    media_file(hub, "c.mp4", 100)
    # docs/api/post-script.md "Post with Custom Sound" (media listed, not the library)
    _task, custom = post(hub, {"content_type": 0, "captions": "Dancing to this trending sound!",
                              "post_way": "share", "add_sound": "custom",
                              "custom_sound_keyword": "trending dance 2024",
                              "origin_sound_volume": 30, "add_sound_volume": 70,
                              "material_list": ["c.mp4"], "sound_wait_time": 0})
    assert (custom["via"], custom["sound"]) == ("share", "trending dance 2024")
    assert (custom["origin_volume"], custom["added_volume"]) == (30, 70)
    _, on = post(hub, {"post_way": "addButton", "add_sound": "1", "sound_name": "lo fi",
                       "material_list": ["c.mp4"], "sound_wait_time": 0,
                       "origin_sound_volume": 0, "add_sound_volume": 100})
    assert (on["sound"], on["origin_volume"], on["added_volume"]) == ("lo fi", 0, 100)
    _, off = post(hub, {"add_sound": 0, "sound_name": "ignored", "material_list": ["c.mp4"]})
    assert off["sound"] is None and off["added_volume"] is None


def test_placement_story_and_share_of_photos(phone_hub):
    hub = phone_hub(1)
    media_file(hub, "st.mp4", 100)
    photos = [media_file(hub, f"p/{i}.jpg", 50 + i).name for i in range(2)]
    task, story = post(hub, {"placement": "story", "material_list": ["st.mp4"],
                             "captions": "not shown"})
    assert (story["placement"], story["caption"]) == ("story", "")
    task, two = post(hub, {"content_type": 1, "image_count": 2, "post_way": "share",
                           "material_list": [f"p/{n}" for n in photos]})
    assert two["via"] == "addButton" and [m["name"] for m in two["media"]] == photos
    assert any("2 photos go through the Create button" in m for m in messages(task))


def test_options_that_need_another_are_40001_naming_it(phone_hub):
    hub = phone_hub(1)
    media_file(hub, "v.mp4", 10)
    cases = [({"post_way": "useSound"}, "sound_name"),
             ({"add_sound": "custom"}, "custom_sound_keyword"),
             ({"add_sound": "2"}, "add_sound"), ({"add_sound": True}, "add_sound"),
             ({"placement": "feed"}, "placement"), ({"add_product_link": 2}, "add_product_link"),
             ({"origin_sound_volume": 101}, "origin_sound_volume"),
             ({"post_way": "publish"}, "post_way")]
    for extra, field in cases:
        status, answer = hub.call("POST", "/task", {
            "serials": hub.serials, "script_name": "post",
            "script_config": {"material_list": ["v.mp4"], **extra}})
        assert (status, answer["code"]) == (400, 40001), (extra, answer)
        assert f"script_config.{field}" in (answer["message"] + str(answer.get("data"))), answer
    assert hub.ok("GET", "/task/stats")["total"] == 0
