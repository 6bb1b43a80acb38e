"""Every request body of TikMatrix's own `docs/api` pages (tikmatrix/www.tikmatrix.com), replayed
through the Local API: each is accepted as written, and on simulated phones each runs to the end.

The bodies are data (one literal per example, its page named); only the phones' serials are mapped
to simulated ones for the runs. The post examples depend on the post options and the material
library (issue 12 items 2 and 3) and are checked on their own.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import urllib.parse
import urllib.request

import pytest

from tests.fixtures import ADB_PATH, PhoneHub, free_port, wait_for
from tests.hubkit import hub_config, running_hub

COMPLETED, FAILED = 2, 3
S1 = ["device_serial_1"]
S3 = ["device_1", "device_2", "device_3"]
MINE = ["@my_account1", "@my_account2"]
VIDEO = "https://www.tiktok.com/@username/video/1234567890"

# (page, example, body, tasks created when each device has one account bound)
EXAMPLES = [
    # examples.md: Python, JavaScript, cURL and PowerShell create the same follow task
    ("examples", "create a follow task", {
        "serials": S1, "script_name": "follow",
        "script_config": {"target_username": "@tikmatrix"}, "enable_multi_account": False}, 1),
    # examples.md: "Batch Create Tasks for Multiple Devices"
    ("examples", "batch follow on five devices", {
        "serials": ["device_1", "device_2", "device_3", "device_4", "device_5"],
        "script_name": "follow", "script_config": {"target_username": "@target_user"},
        "enable_multi_account": True}, 5),
    # follow-script.md
    ("follow-script", "follow single user", {
        "serials": S1, "script_name": "follow",
        "script_config": {"target_users": ["@username_to_follow"], "access_method": "direct"}}, 1),
    ("follow-script", "follow multiple users", {
        "serials": S1, "script_name": "follow",
        "script_config": {"target_users": ["@user1", "@user2", "@user3"],
                          "access_method": "direct"}}, 3),
    ("follow-script", "schedule tasks with start time", {
        "serials": S1, "script_name": "follow",
        "script_config": {"target_users": ["@user1", "@user2"], "access_method": "direct"},
        "start_time": "14:30"}, 2),
    ("follow-script", "follow users via search", {
        "serials": S1, "script_name": "follow",
        "script_config": {"target_users": ["username1", "username2"],
                          "access_method": "search"}}, 2),
    ("follow-script", "username list mode", {
        "usernames": MINE, "script_name": "follow",
        "script_config": {"target_users": ["@target_user"], "access_method": "direct"}}, 2),
    ("follow-script", "batch follow on multiple devices", {
        "serials": S3, "script_name": "follow",
        "script_config": {"target_users": ["@influencer_account"], "access_method": "direct"},
        "enable_multi_account": True}, 3),
    # unfollow-script.md
    ("unfollow-script", "unfollow single user", {
        "serials": S1, "script_name": "unfollow",
        "script_config": {"target_users": ["@username_to_unfollow"],
                          "access_method": "direct"}}, 1),
    ("unfollow-script", "unfollow multiple users", {
        "serials": S1, "script_name": "unfollow",
        "script_config": {"target_users": ["@user1", "@user2", "@user3"],
                          "access_method": "direct"}}, 3),
    ("unfollow-script", "schedule tasks with start time", {
        "serials": S1, "script_name": "unfollow",
        "script_config": {"target_users": ["@user1", "@user2"], "access_method": "direct"},
        "start_time": "14:30"}, 2),
    ("unfollow-script", "unfollow users via search", {
        "serials": S1, "script_name": "unfollow",
        "script_config": {"target_users": ["username1", "username2"],
                          "access_method": "search"}}, 2),
    ("unfollow-script", "batch unfollow on multiple devices", {
        "serials": S3, "script_name": "unfollow",
        "script_config": {"target_users": ["@old_account"], "access_method": "direct"},
        "enable_multi_account": True}, 3),
    # comment-script.md
    ("comment-script", "comment on single post", {
        "serials": S1, "script_name": "comment",
        "script_config": {"target_post_url": VIDEO, "comment_content": "Great content! \U0001F525"}},
     1),
    ("comment-script", "multiple comment options", {
        "serials": S1, "script_name": "comment",
        "script_config": {"target_post_url": VIDEO,
                          "comment_content": "Amazing video!\nLove this content!\nKeep it up! "
                                             "\U0001F44F\nThis is so good!",
                          "comment_order": "random"}}, 1),
    ("comment-script", "comment on multiple posts", {
        "serials": S1, "script_name": "comment",
        "script_config": {"target_post_urls": ["https://www.tiktok.com/@user1/video/111",
                                               "https://www.tiktok.com/@user2/video/222",
                                               "https://www.tiktok.com/@user3/video/333"],
                          "comment_content": "Great video!\nAwesome!\nLove it!",
                          "comment_order": "sequential"}}, 3),
    ("comment-script", "schedule comments with start time", {
        "serials": S1, "script_name": "comment",
        "script_config": {"target_post_url": VIDEO, "comment_content": "Scheduled comment!"},
        "start_time": "14:30"}, 1),
    ("comment-script", "comment with emoji insertion", {
        "serials": S1, "script_name": "comment",
        "script_config": {"target_post_url": VIDEO, "comment_content": "This is amazing",
                          "insert_emoji": True}}, 1),
    ("comment-script", "username list mode", {
        "usernames": MINE, "script_name": "comment",
        "script_config": {"target_post_url": "https://www.tiktok.com/@target/video/123",
                          "comment_content": "Nice video!"}}, 2),
    ("comment-script", "batch comment on multiple devices", {
        "serials": S3, "script_name": "comment",
        "script_config": {"target_post_url": "https://www.tiktok.com/@viral/video/999",
                          "comment_content": "Great content!\nAmazing work!\nLove this!",
                          "comment_order": "random"},
        "enable_multi_account": True}, 3),
    ("comment-script", "instagram comment", {
        "serials": S1, "script_name": "comment",
        "script_config": {"target_post_url": "https://www.instagram.com/p/ABC123/",
                          "comment_content": "Beautiful photo! \U0001F4F8", "insert_emoji": True}},
     1),
    ("comment-script", "tiktok image comment", {
        "serials": S1, "script_name": "comment",
        "script_config": {"target_post_url": VIDEO, "comment_content": "Check out this image!",
                          "comment_image_path": "C:/images/my_image.jpg"}}, 1),
    # account-warmup-script.md
    ("account-warmup-script", "basic account warmup", {
        "serials": S1, "script_name": "account_warmup",
        "script_config": {"task_duration": 600, "min_duration": 10, "max_duration": 30}}, 1),
    ("account-warmup-script", "warmup with topic search", {
        "serials": S1, "script_name": "account_warmup",
        "script_config": {"task_duration": 900, "topic": "funny cats\ndog videos\npet compilation",
                          "min_duration": 15, "max_duration": 45}}, 1),
    ("account-warmup-script", "warmup with interactions", {
        "serials": S1, "script_name": "account_warmup",
        "script_config": {"task_duration": 1200, "topic": "cooking\nrecipes\nfood",
                          "min_duration": 20, "max_duration": 60, "like_probable": 30,
                          "floow_probable": 10, "collect_probable": 5, "comment_probable": 15,
                          "comment": "This is amazing! \U0001F525\nLove this content!\nSo good! "
                                     "\U0001F44F\nWow, incredible!",
                          "insert_emoji": True, "comment_order": "random"}}, 1),
    ("account-warmup-script", "warmup with chatgpt comments", {
        "serials": S1, "script_name": "account_warmup",
        "script_config": {"task_duration": 1800, "topic": "tech reviews\ngadgets",
                          "min_duration": 30, "max_duration": 90, "like_probable": 25,
                          "comment_probable": 20, "generate_by_chatgpt": True,
                          "chatgpt_settings": {"api_key": "your-api-key", "model": "gpt-3.5-turbo",
                                               "prompt": "Generate a short, friendly comment "
                                                         "about this video"}}}, 1),
    ("account-warmup-script", "batch warmup on multiple devices", {
        "serials": S3, "script_name": "account_warmup",
        "script_config": {"task_duration": 600, "min_duration": 15, "max_duration": 30,
                          "like_probable": 20},
        "enable_multi_account": True}, 3),
    ("account-warmup-script", "schedule warmup task", {
        "serials": S1, "script_name": "account_warmup",
        "script_config": {"task_duration": 1200, "topic": "music\ndance\ntrending",
                          "min_duration": 20, "max_duration": 40, "like_probable": 15,
                          "floow_probable": 5},
        "start_time": "09:00"}, 1),
    ("account-warmup-script", "warmup by username list", {
        "usernames": MINE, "script_name": "account_warmup",
        "script_config": {"task_duration": 600, "min_duration": 15, "max_duration": 30,
                          "like_probable": 20, "floow_probable": 5}}, 2),
]

POST_EXAMPLES = [
    # local-api.md: "Quick Start" (no material_list: the material library's pick)
    ("local-api", "create a task", {
        "serials": ["device_serial_1", "device_serial_2"], "script_name": "post",
        "script_config": {"content_type": 1, "captions": "Check out my new video! #viral"},
        "enable_multi_account": False, "start_time": "14:30"}),
    # task-management.md and post-script.md: "Basic Post Task with Direct Material List"
    ("task-management", "create task", {
        "serials": S1, "script_name": "post",
        "script_config": {"content_type": 0, "captions": "Check out my new video! #viral #fyp",
                          "material_list": ["C:/Videos/video1.mp4"], "upload_wait_time": 60}}),
    ("post-script", "material library (TikTok)", {
        "serials": ["device_serial_1", "device_serial_2"], "script_name": "post",
        "script_config": {"content_type": 0, "captions": "Check out my new video! #viral #fyp",
                          "post_way": "share", "material_source": "materialLibrary",
                          "materials_tags": "trending, dance", "upload_wait_time": 60,
                          "add_sound": "-1"},
        "enable_multi_account": False, "min_interval": 5, "max_interval": 15}),
    ("post-script", "username list", {
        "usernames": ["@user1", "@user2", "@user3"], "script_name": "post",
        "script_config": {"content_type": 0, "captions": "Check out my new video! #viral #fyp",
                          "material_list": ["C:/Videos/video1.mp4"], "upload_wait_time": 60},
        "min_interval": 5, "max_interval": 15}),
    ("post-script", "local folder (Instagram)", {
        "serials": S1, "script_name": "post",
        "script_config": {"content_type": 0, "captions": "Amazing content! #instagram #reels",
                          "post_way": "addButton", "placement": "reel",
                          "material_source": "localFolder", "material_path": "C:/Videos/instagram",
                          "upload_wait_time": 45},
        "enable_multi_account": True, "min_interval": 10, "max_interval": 30}),
    ("post-script", "custom sound", {
        "serials": S1, "script_name": "post",
        "script_config": {"content_type": 0, "captions": "Dancing to this trending sound!",
                          "post_way": "share", "add_sound": "custom",
                          "custom_sound_keyword": "trending dance 2024", "origin_sound_volume": 30,
                          "add_sound_volume": 70, "material_source": "materialLibrary",
                          "upload_wait_time": 60}}),
    ("post-script", "specific sound URL", {
        "serials": S1, "script_name": "post",
        "script_config": {"post_way": "useSound",
                          "sound_name": "https://www.tiktok.com/music/original-sound-7123456789",
                          "captions": "Using this awesome sound!",
                          "material_source": "materialLibrary"}}),
    ("post-script", "images (carousel)", {
        "serials": S1, "script_name": "post",
        "script_config": {"content_type": 1, "image_count": 5,
                          "captions": "Check out these photos! #photocarousel",
                          "material_source": "localFolder", "material_path": "C:/Images/carousel",
                          "upload_wait_time": 45}}),
]

DOC_SERIALS = ["device_serial_1", "device_serial_2", "device_1", "device_2", "device_3",
               "device_4", "device_5"]
ACCOUNTS = [f"my_account{i}" for i in range(1, 6)]


def ids(examples) -> list[str]:
    return [f"{page}: {title}" for page, title, *_ in examples]


def post(client, body: dict) -> dict:
    return client.simulate_post("/api/v1/task", json=body).json


@pytest.fixture
def docs_client(make_client):
    """A hub (adb off) where the docs' devices each have one account: my_account1..5 on
    device_1..5 (my_account1 and 2 also stand for device_serial_1 and 2 in usernames mode)."""
    client, services = make_client()
    for name, serial in zip(ACCOUNTS, DOC_SERIALS[2:], strict=False):
        assert client.simulate_post("/api/v1/account", json={
            "username": name, "device": serial}).json["code"] == 0
    for index, serial in enumerate([*S1, "device_serial_2"]):
        assert client.simulate_post("/api/v1/account", json={
            "username": f"other{index}", "device": serial}).json["code"] == 0
    return client, services


@pytest.mark.parametrize("page,title,body,count", EXAMPLES, ids=ids(EXAMPLES))
def test_each_documented_body_is_accepted_as_written(docs_client, page, title, body, count):
    client, services = docs_client
    answer = post(client, copy.deepcopy(body))
    assert answer["code"] == 0, answer
    data = answer["data"]
    assert data["created_count"] == count and data["ignored_fields"] == []
    for task_id in data["task_ids"]:
        task = services.tasks.get(task_id)
        config = task["script_config"]
        # '@name' is stored as the account's name
        assert not str(config.get("target_user", "")).startswith("@")
        assert "chatgpt_settings" not in config          # its API key is not stored
        assert task["username"] is None or not task["username"].startswith("@")


def test_the_list_wins_names_match_with_or_without_at_and_extra_fields_are_answered(docs_client):
    client, services = docs_client
    data = post(client, {"serials": S1, "script_name": "follow", "script_config": {
        "target_users": ["@a", "b"], "target_user": "c,d", "target_username": "e"}})["data"]
    assert sorted(services.tasks.get(i)["script_config"]["target_user"]
                  for i in data["task_ids"]) == ["a", "b"]
    data = post(client, {"serials": S1, "script_name": "comment", "script_config": {
        "target_post_urls": [VIDEO], "target_post_url": "https://www.tiktok.com/@x/video/2",
        "comment_content": "hi"}})["data"]
    assert [services.tasks.get(i)["script_config"]["target_post_url"]
            for i in data["task_ids"]] == [VIDEO]
    # the string field when the list is empty; target_username when both are
    for config, wanted in (({"target_users": [], "target_user": "@c"}, ["c"]),
                           ({"target_username": "@e"}, ["e"])):
        data = post(client, {"serials": S1, "script_name": "unfollow",
                             "script_config": config})["data"]
        assert [services.tasks.get(i)["script_config"]["target_user"]
                for i in data["task_ids"]] == wanted
    # usernames: '@my_account1' and 'my_account1' are the same account (one task)
    data = post(client, {"usernames": ["@my_account1", "my_account1"], "script_name": "follow",
                         "script_config": {"target_user": "x"}})["data"]
    assert [services.tasks.get(i)["username"] for i in data["task_ids"]] == ["my_account1"]
    # fields that are no option of the script: not stored, answered, and warned in the log
    answer = post(client, {"serials": S1, "script_name": "follow", "script_config": {
        "target_user": "x", "speed": "fast", "colour": 3}})
    assert answer["code"] == 0 and answer["data"]["ignored_fields"] == ["colour", "speed"]
    (task_id,) = answer["data"]["task_ids"]
    task = client.simulate_get(f"/api/v1/task/{task_id}").json["data"]
    assert "speed" not in task["script_config"] and "colour" not in task["script_config"]
    (line,) = task["logs"]
    assert line["level"] == "warning" and "colour, speed" in line["message"]


@pytest.mark.parametrize("page,title,body", POST_EXAMPLES, ids=ids(POST_EXAMPLES))
def test_each_documented_post_body_is_accepted_as_written(docs_client, page, title, body):
    client, services = docs_client
    for name in ("user1", "user2", "user3"):
        client.simulate_post("/api/v1/account", json={"username": name, "device": "device_1"})
    # The docs name files on the TikMatrix PC (C:/Videos/video1.mp4, C:/Videos/instagram,
    # C:/Images/carousel); the operator copies them into the hub's media folder, where the hub
    # looks them up by name.
    media = services.config.media_path
    (media / "instagram").mkdir(parents=True, exist_ok=True)
    (media / "carousel").mkdir(exist_ok=True)
    (media / "video1.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    (media / "instagram" / "reel.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    for i in range(5):
        (media / "carousel" / f"p{i}.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    answer = post(client, copy.deepcopy(body))
    assert answer["code"] == 0, answer
    assert answer["data"]["ignored_fields"] == []


# --- on simulated phones ------------------------------------------------------------------------


@pytest.fixture
def docs_phones(tmp_path, sim_farm):
    """A real hub with five simulated phones whose app has my_account1..5 logged in; account i
    is bound to phone i."""
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(running_hub(hub_config(
            tmp_path, adb_enabled=True, adb_port=free_port(), adb_path=ADB_PATH, plan="Business",
            stop_grace=3, health_interval=60)))
        farm = sim_farm(5, seed=11, accounts=list(ACCOUNTS))
        engine = handle.services.engine
        for phone in farm.phones:
            engine.client.connect(phone.address, timeout=10)
        serials = [p.address for p in farm.phones]
        wait_for(lambda: all(engine.tracker.usable(s) for s in serials), 30,
                 message="every phone usable by the hub")
        hub = PhoneHub(handle, farm, serials)
        for name, serial in zip(ACCOUNTS, serials, strict=False):
            hub.ok("POST", "/account", {"username": name, "device": serial})
        yield hub


def on_phones(body: dict, serials: list[str], shift: int) -> dict:
    """The docs' body for the simulated phones: the docs' serials mapped to phones (shifted per
    example, so that the examples spread over the phones), and three changes that keep a run
    short, each said: start_time dropped (the task would wait for 14:30 or 09:00), the idle wait
    between a phone's tasks 0 (this hub's default is 1-5 s), and a warm-up of 0.6 s with
    0.1-0.2 s per video (the docs' warm-ups watch for 10 to 30 minutes)."""
    body = copy.deepcopy(body)
    if "serials" in body:
        body["serials"] = [serials[(DOC_SERIALS.index(s) + shift) % len(serials)]
                           for s in body["serials"]]
    body.pop("start_time", None)
    body.update(min_interval=0, max_interval=0)
    if body["script_name"] == "account_warmup":
        body["script_config"].update(task_duration=0.6, min_duration=0.1, max_duration=0.2)
    return body


def test_each_documented_body_runs_to_the_end_on_simulated_phones(docs_phones):
    hub = docs_phones
    created = []
    for shift, (page, title, body, count) in enumerate(EXAMPLES):
        data = hub.ok("POST", "/task", on_phones(body, hub.serials, shift))
        assert data["created_count"] == count, (page, title)
        created += [(page, title, task_id) for task_id in data["task_ids"]]
    tasks = {task_id: hub.wait_status(task_id, COMPLETED, FAILED, timeout=120)
             for _page, _title, task_id in created}
    for page, title, task_id in created:
        task = tasks[task_id]
        if title == "instagram comment":
            # The TikTok app cannot open an Instagram post: the task says so, fast.
            assert task["status"] == FAILED and "Instagram is not supported" in task["remark"]
            continue
        assert task["status"] == COMPLETED, (page, title, task["remark"])
        sim = hub.sim(task["serial"])
        config = task["script_config"]
        if task["script_name"] == "follow":
            assert config["target_user"] in {r["username"] for r in sim.app_records("follow")}
        elif task["script_name"] == "comment":
            video = config["target_post_url"].rstrip("/").rsplit("/", 1)[-1]
            assert video in {r["video_id"] for r in sim.app_records("comment")}
        if task["username"]:
            assert task["username"] in ACCOUNTS
    lines = {title: [line["message"] for line in tasks[task_id]["logs"]]
             for _page, title, task_id in created}
    assert any("comment_image_path is not supported" in m for m in lines["tiktok image comment"])
    assert any("generate_by_chatgpt is not supported" in m
               for m in lines["warmup with chatgpt comments"])


MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


def upload_material(hub, name: str, body: bytes, tags: str = "") -> None:
    url = f"{hub.handle.url}/material?{urllib.parse.urlencode({'name': name, 'tags': tags})}"
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert json.loads(answer.read())["code"] == 0


def test_each_documented_post_body_runs_to_the_end_on_simulated_phones(docs_phones):
    hub = docs_phones
    # What the operator prepares: the PC's files copied into the media folder under the names
    # the docs use, and a material library with trending videos and a few photos.
    media = hub.handle.config.media_path
    for path in ("video1.mp4", "instagram/reel1.mp4", "instagram/reel2.mp4"):
        (media / path).parent.mkdir(parents=True, exist_ok=True)
        (media / path).write_bytes(MP4_HEAD + os.urandom(3000))
    for i in range(5):
        (media / "carousel").mkdir(exist_ok=True)
        (media / "carousel" / f"p{i}.jpg").write_bytes(JPEG_HEAD + os.urandom(2000))
    for i in range(5):
        upload_material(hub, f"clip{i}.mp4", MP4_HEAD + os.urandom(3000), "trending, dance")
    for i in range(3):
        upload_material(hub, f"photo{i}.jpg", JPEG_HEAD + os.urandom(2000))
    created = []
    for shift, (page, title, body) in enumerate(POST_EXAMPLES):
        body = on_phones(body, hub.serials, shift)
        if "usernames" in body:
            body["usernames"] = MINE   # the docs' @user1.. are not logged in on these phones
        data = hub.ok("POST", "/task", body)
        created += [(page, title, task_id) for task_id in data["task_ids"]]
    for page, title, task_id in created:
        task = hub.wait_status(task_id, COMPLETED, FAILED, timeout=180)
        assert task["status"] == COMPLETED, "\n".join(
            [page, title, task["remark"], *(line["message"] for line in task["logs"])])
    posts = [record for serial in hub.serials for record in hub.sim(serial).app_records("post")]
    assert len(posts) == len(created)
    used = json.loads(urllib.request.urlopen(f"{hub.handle.url}/material?used=true",
                                             timeout=30).read())["data"]
    assert used["total"] == 6   # quick start: 2 photos; library, custom sound, sound URL: 4
