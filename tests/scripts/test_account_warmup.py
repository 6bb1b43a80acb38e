"""account_warmup and the UI helpers on a simulated phone behind the real adb server, driven
through a hand-made ScriptContext (the engine's own tests drive it through the API)."""

import random
import threading
import time

import pytest

from appliance.devices import DeviceClient
from appliance.scripts import default_registry
from appliance.scripts.app_script import start_app
from appliance.scripts.comment import post_comment
from appliance.scripts.context import ScriptContext, TaskCancelled
from appliance.scripts.ui import Ui, UiStepFailed


@pytest.fixture
def phone(sim_farm, connected_phones, adb_server):
    farm = sim_farm(1, seed=7)
    (address,) = connected_phones(farm.phones)
    client = DeviceClient("127.0.0.1", adb_server.port, 10.0)
    return farm.phones[0], address, client


def make_ctx(phone, config, cancel=None, seed=3):
    _sim, serial, client = phone
    lines = []
    ctx = ScriptContext(task={"id": 1, "serial": serial}, config=config, client=client,
                        log=lambda level, message: lines.append((level, message)),
                        cancel=cancel or threading.Event(), deadline=time.monotonic() + 60,
                        rng=random.Random(seed))
    return ctx, lines


def warmup_config(**overrides):
    config = {"task_duration": 4, "min_duration": 0.2, "max_duration": 0.3, "like_probable": 100,
                  "floow_probable": 100, "collect_probable": 100, "comment_probable": 100,
                  "comment": "nice one\nso good", "comment_order": "sequential"}
    config.update(overrides)
    return default_registry().get("account_warmup").validate(config)


def test_warmup_watches_and_acts_and_logs_each_step(phone):
    sim = phone[0]
    ctx, lines = make_ctx(phone, warmup_config())
    remark = default_registry().get("account_warmup").run(ctx)
    watches = sim.app_records("watch")
    assert len(watches) >= 3 and all(w["seconds"] >= 0.15 for w in watches)
    assert sim.app_records("like") and sim.app_records("collect")
    assert sim.app_records("follow")
    comments = [c["text"] for c in sim.app_records("comment")]
    assert comments[:2] == ["nice one", "so good"]          # sequential order
    messages = [m for _, m in lines]
    assert messages[0].startswith("app com.zhiliaoapp.musically 43.1.4")
    assert any(m.startswith("watched video 1 by ") for m in messages)
    assert any(m.startswith("liked the video by ") for m in messages)
    assert any(m.startswith("commented on the video by ") for m in messages)
    assert remark.startswith("watched ") and remark == messages[-2]
    assert messages[-1].startswith("dumps: ")


def test_topic_search_opens_the_topic_videos(phone):
    sim = phone[0]
    ctx, lines = make_ctx(phone, warmup_config(topic="cats", like_probable=0, floow_probable=0,
                                               collect_probable=0, comment_probable=0,
                                               task_duration=0.8))
    default_registry().get("account_warmup").run(ctx)
    assert any("searching the topic 'cats'" in m for _, m in lines)
    assert sim.app_records("watch")
    assert not sim.app_records("like")


def test_type_text_delivers_unicode_and_shell_metacharacters_exactly(phone):
    sim = phone[0]
    hostile = "it's $HOME; `id` && \"quotes\" \\ \n second line \U0001F525 привет"
    ctx, _ = make_ctx(phone, warmup_config())
    ui = Ui(ctx)
    start_app(ctx, ui)
    post_comment(ctx, ui, hostile, ui.look())
    assert sim.app_records("comment")[-1]["text"] == hostile
    assert not any(c.strip() == "id" for c in sim.command_log)


def test_wait_names_the_step_and_what_was_on_screen(phone):
    ctx, _ = make_ctx(phone, warmup_config())
    ui = Ui(ctx)
    start_app(ctx, ui)
    with pytest.raises(UiStepFailed) as info:
        ui.wait_for(["gallery"], "find the impossible", timeout=0.3)
    assert "find the impossible" in info.value.message
    assert "the phone shows the feed screen" in info.value.message
    assert "<hierarchy" in info.value.dump


def test_popup_is_dismissed_while_waiting(phone):
    sim = phone[0]
    ctx, lines = make_ctx(phone, warmup_config())
    ui = Ui(ctx)
    start_app(ctx, ui)
    with sim.android.ui_lock:
        sim.ui.app.force_popup()
    assert ui.dump().name == "dialog"
    screen = ui.look()
    assert screen.name == "feed" and ui.find("feed.like", screen)
    assert any(m.startswith("dismissed the ") for _, m in lines), lines
    assert sim.app_records("popup")[-1]["choice"] is not None


def test_stop_interrupts_a_running_warmup(phone):
    cancel = threading.Event()
    ctx, _ = make_ctx(phone, warmup_config(task_duration=60, min_duration=30, max_duration=30),
                      cancel=cancel)
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(TaskCancelled):
        default_registry().get("account_warmup").run(ctx)
    assert time.monotonic() - started < 10
