"""post through the Local API on simulated phones behind the hub's real adb server: a video and
three photos with a spintax caption, hostile captions byte for byte, confinement of media paths."""

import os

from tests.fixtures import wait_for

from .phonehub import (
    COMPLETED,
    FAILED,
    assert_only_script_commands,
    media_file,
    messages,
    run_tasks,
)


def test_video_and_three_images_with_spintax_caption(phone_hub):
    hub = phone_hub(1)
    (serial,) = hub.serials
    video = media_file(hub, "clip.mp4", 150_000)
    photos = [media_file(hub, f"photos/p{i}.jpg", 20_000 + i) for i in range(3)]
    spintax = "{Hello|Hi|Hey} world {one|two}"
    (task,) = run_tasks(hub, {"serials": [serial], "script_name": "post", "script_config": {
        "content_type": 0, "captions": spintax, "material_list": ["clip.mp4"],
        "upload_wait_time": 30}})
    assert task["status"] == COMPLETED, (task["remark"], messages(task))
    (images,) = run_tasks(hub, {"serials": [serial], "script_name": "post", "script_config": {
        "content_type": "images", "captions": spintax, "image_count": 3,
        "material_list": [f"photos/p{i}.jpg" for i in range(3)], "upload_wait_time": 30}})
    assert images["status"] == COMPLETED, (images["remark"], messages(images))

    posts = hub.sim(serial).app_records("post")
    assert [p["media_type"] for p in posts] == ["video", "images"]
    assert [(m["name"], m["size"]) for m in posts[0]["media"]] == [("clip.mp4", 150_000)]
    assert [(m["name"], m["size"]) for m in posts[1]["media"]] == [
        (p.name, p.stat().st_size) for p in photos]
    for post, done in zip(posts, (task, images), strict=False):
        first, second = post["caption"].split(" world ")
        assert first in ("Hello", "Hi", "Hey") and second in ("one", "two")
        assert f"caption variant chosen: {post['caption']!r}" in messages(done)
        assert any(m.startswith(("upload finished", "no upload badge")) for m in messages(done))
        assert any(m.startswith("dumps: ") for m in messages(done)), messages(done)
    # the pushed files were removed from the phone
    listing = hub.sim(serial).android.run("ls /sdcard/DCIM")[0].decode()
    assert "hub-" not in listing
    assert video.stat().st_size == 150_000


HOSTILE = "it's $HOME; `reboot` && rm -rf / | \"q\" 'x' \\ $(id)\nline two \U0001F525 привет {no pipe}"


def test_hostile_caption_arrives_byte_for_byte_and_runs_nothing(phone_hub):
    hub = phone_hub(1)
    (serial,) = hub.serials
    media_file(hub, "a.mp4", 5000)
    sim = hub.sim(serial)
    before = len(sim.command_log)
    (task,) = run_tasks(hub, {"serials": [serial], "script_name": "post", "script_config": {
        "captions": HOSTILE, "material_list": ["a.mp4"], "upload_wait_time": 30}})
    assert task["status"] == COMPLETED, task["remark"]
    assert sim.app_records("post")[-1]["caption"] == HOSTILE
    # the caption only ever travelled base64-encoded: no piece of it reached a shell
    assert_only_script_commands(sim.command_log[before:], "$HOME", "reboot", "rm -rf /",
                                "$(id)", "привет")
    assert not sim.app_records("crash")


def test_media_outside_the_folder_or_missing_is_40001_and_creates_nothing(phone_hub, tmp_path):
    hub = phone_hub(1)
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"x")
    root = hub.handle.config.media_path
    root.mkdir(parents=True, exist_ok=True)
    (root / "link").symlink_to(tmp_path, target_is_directory=True)
    media_file(hub, "ok.mp4", 10)
    (root / "secret.mp4").write_bytes(b"x")
    (root / "secret.mp4").chmod(0)
    (root / "adir.mp4").mkdir()
    bad = ["../outside.mp4", str(outside), "/etc/passwd", "link/outside.mp4", "missing.mp4",
           "adir.mp4", "sub/../../outside.mp4"]
    if os.geteuid() != 0:
        bad.append("secret.mp4")      # root reads anything: unreadable files need a non-root run
    for path in bad:
        status, answer = hub.call("POST", "/task", {
            "serials": hub.serials, "script_name": "post",
            "script_config": {"material_list": ["ok.mp4", path]}})
        assert (status, answer["code"]) == (400, 40001), (path, answer)
        assert "script_config.material_list[1]" in answer["message"], answer["message"]
    status, answer = hub.call("POST", "/task", {
        "serials": hub.serials, "script_name": "post",
        "script_config": {"material_source": "localFolder", "material_path": "../"}})
    assert (status, answer["code"]) == (400, 40001) and "material_path" in answer["message"]
    assert hub.ok("GET", "/task/stats")["total"] == 0


def test_popup_in_the_middle_of_the_upload_is_dismissed(phone_hub):
    hub = phone_hub(1)
    (serial,) = hub.serials
    sim = hub.sim(serial)
    media_file(hub, "pop.mp4", 3000)
    ids = hub.ok("POST", "/task", {"serials": [serial], "script_name": "post",
                                   "min_interval": 0, "max_interval": 0,
                                   "script_config": {"captions": "popup test",
                                                     "material_list": ["pop.mp4"]}})["task_ids"]
    # The upload takes the app 3 s: a popup raised once the post is published lands mid-wait.
    wait_for(lambda: sim.app_records("post"), 30, message="the post to be published")
    with sim.android.ui_lock:
        sim.ui.app.force_popup()
    task = hub.wait_status(ids[0], COMPLETED, FAILED, timeout=30)
    assert task["status"] == COMPLETED, task["remark"]
    forced = [p for p in sim.app_records("popup") if p["trigger"] == "forced"]
    assert forced and forced[-1]["choice"] is not None
    assert any(m.startswith("dismissed the ") for m in messages(task))


def test_local_folder_source_picks_seeded_photos_from_the_folder(phone_hub):
    hub = phone_hub(1)
    (serial,) = hub.serials
    files = {media_file(hub, f"batch/{n}.png", 1000 + i).name for i, n in enumerate("abcde")}
    media_file(hub, "batch/skip.mp4", 10)                        # not a photo: never chosen
    (task,) = run_tasks(hub, {"serials": [serial], "script_name": "post", "script_config": {
        "content_type": 1, "material_source": "localFolder", "material_path": "batch",
        "image_count": 2, "captions": "two of five"}})
    assert task["status"] == COMPLETED, task["remark"]
    (post,) = hub.sim(serial).app_records("post")
    names = [m["name"] for m in post["media"]]
    assert len(names) == 2 and set(names) <= files
    status, answer = hub.call("POST", "/task", {"serials": [serial], "script_name": "post",
                                                "script_config": {
                                                    "content_type": 1, "image_count": 9,
                                                    "material_source": "localFolder",
                                                    "material_path": "batch"}})
    assert (status, answer["code"]) == (400, 40001) and "material_path" in answer["message"]


def test_post_way_draft_saves_without_publishing(phone_hub):
    hub = phone_hub(1)
    media_file(hub, "d.mp4", 321)
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "post", "script_config": {
        "material_list": ["d.mp4"], "captions": "later", "post_way": "draft",
        "add_product_link": True}})
    assert (task["status"], task["remark"]) == (COMPLETED, "saved to drafts: d.mp4")
    sim = hub.sim(hub.serials[0])
    assert sim.app_records("draft")[-1]["caption"] == "later" and not sim.app_records("post")
    assert sim.app_records("draft")[-1]["product_link"] is True   # "Add link" -> "Add"
    assert "added a product link" in messages(task)
