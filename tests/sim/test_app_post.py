"""The simulated app's three ways into a post, seen through the dump alone (tests/sim/test_app.py
`Phone`): the Create button, the system share intent, a sound's page ("Use this sound"); and what
the post record keeps of the sound picker (sound, volumes), the title, "Add link" and "Your Story".
"""

from __future__ import annotations

import pytest

from tests.sim.test_app import Phone, box


@pytest.fixture
def phone():
    p = Phone(next_ignore_rate=0.0, publish_sheet_rate=0.0)
    p.ui.grant("android.permission.READ_MEDIA_VIDEO")
    p.ui.media_scan("/sdcard/DCIM/hub-1/clip.mp4", 4242, 2000.0)
    p.launch()
    return p


def publish_from_editor(p, caption="c"):
    p.editor_next_until_caption()
    p.tap_node(p.nodes(cls="EditText")[0])
    p.type_unicode(caption)
    p.back()
    p.tap(text="Post", cls="Button")
    return p.ui.records("post")[-1]


def test_add_button_path_records_its_way_and_defaults(phone):
    post = phone.post_first_tile("plain")
    assert (post["via"], post["sound"], post["origin_volume"], post["added_volume"]) == \
        ("addButton", None, 50, None)
    assert (post["product_link"], post["placement"], post["title"]) == (False, "post", "")


def test_share_intent_opens_the_editor_with_the_file(phone):
    out = phone.ui.share_intent("com.zhiliaoapp.musically",
                                ["file:///storage/emulated/0/DCIM/hub-1/clip.mp4"])
    assert "Error" not in out and phone.nodes(text="Your Story")
    post = publish_from_editor(phone, "shared")
    assert post["via"] == "share" and [m["name"] for m in post["media"]] == ["clip.mp4"]
    phone.ui.share_intent("com.zhiliaoapp.musically", ["file:///sdcard/DCIM/none.mp4"])
    assert phone.ui.records("share_received")[-1]["refused"] == "no media"
    assert phone.nodes(desc="Video")  # still on the feed: nothing opened


def test_sound_page_use_this_sound_carries_the_sound_to_the_post(phone):
    phone.ui.view_intent("https://www.tiktok.com/music/original-sound-7123456789")
    assert phone.nodes(text="original sound")
    phone.tap(text="Use this sound", cls="Button")
    assert phone.nodes(text="original sound")  # the camera's sound label
    phone.open_gallery()
    phone.tap_node(phone.tiles()[0])
    phone.tap(text="Next", cls="Button")
    post = publish_from_editor(phone)
    assert (post["via"], post["sound"], post["sound_id"]) == ("useSound", "original sound",
                                                              "7123456789")


def test_sound_picker_search_and_volume_sliders(phone):
    phone.open_gallery()
    phone.tap_node(phone.tiles()[0])
    phone.tap(text="Next", cls="Button")
    phone.tap(text="Add sound")
    phone.tap_node(phone.nodes(cls="EditText")[0])
    phone.type_unicode("dance 2024")
    phone.ui.keyevent("KEYCODE_ENTER")
    phone.tap(text="dance 2024", cls="TextView")
    phone.tap(text="Volume")
    origin, added = phone.nodes(cls="SeekBar")
    x1, y1, x2, y2 = box(origin)
    phone.ui.tap(x1 + (x2 - x1) * 30 // 100, (y1 + y2) // 2)
    x1, y1, x2, y2 = box(added)
    phone.ui.tap(x1 + (x2 - x1) * 70 // 100, (y1 + y2) // 2)
    assert [n.get("text") for n in phone.nodes(cls="SeekBar")] == ["30", "70"]
    phone.back()
    assert phone.nodes(text="dance 2024")  # the editor shows the chosen sound
    post = publish_from_editor(phone)
    assert (post["sound"], post["origin_volume"], post["added_volume"]) == ("dance 2024", 30, 70)


def test_title_product_link_and_story(phone):
    phone.open_gallery()
    phone.tap_node(phone.tiles()[0])
    phone.tap(text="Next", cls="Button")
    phone.editor_next_until_caption()
    phone.tap(text="Add a catchy title", cls="EditText")
    phone.type_unicode("My title")
    phone.back()
    phone.tap(text="Add link")
    phone.tap(text="Add")
    assert phone.nodes(text="Product added")
    phone.tap(text="Post", cls="Button")
    post = phone.ui.records("post")[-1]
    assert (post["title"], post["product_link"]) == ("My title", True)
    phone.open_gallery()
    phone.tap_node(phone.tiles()[0])
    phone.tap(text="Next", cls="Button")
    phone.tap(text="Your Story", cls="Button")
    story = phone.ui.records("post")[-1]
    assert (story["placement"], story["caption"], story["via"]) == ("story", "", "addButton")


@pytest.mark.parametrize("build,locale", [(b, loc) for b in (1, 2, 3) for loc in ("en", "fr")])
def test_the_locator_finds_the_post_option_controls(build, locale):
    """Each build and locale: the words of musically.json find the new controls."""
    from tests.scripts.simdrive import Driver
    from tests.scripts.test_locate_sim import on

    d = Driver(build, locale)
    d.add_media(["a.mp4"])
    d.tap("feed.search")
    d.tap("search.input")
    d.type("beat")
    d.tap("search.submit")
    on(d, "search", "search.sounds_tab")
    d.tap("search.sounds_tab")
    d.tap_node(next(n for n in d.screen().nodes if n.text == "beat" and n.cls.endswith("TextView")))
    on(d, "other", "sound.use")
    d.tap("sound.use")
    on(d, "camera", "camera.gallery")
    d.tap("camera.gallery")
    if d.screen().name == "dialog":
        d.tap("popup.dismiss")
    d.tap("gallery.first_tile")
    d.tap("gallery.next")
    on(d, "editor", "editor.add_sound", "editor.story", "editor.next")
    d.tap("editor.add_sound")
    on(d, "other", "picker.search", "picker.volume_tab")
    d.tap("picker.volume_tab")
    found = on(d, "other", "picker.origin_volume", "picker.added_volume")
    assert found["picker.origin_volume"][1] < found["picker.added_volume"][1]
    d.back()
    for _ in range(5):
        if d.screen().name == "caption":
            break
        d.tap("editor.next")
    on(d, "caption", "post.title", "post.add_link", "post.caption")
    d.tap("post.add_link")
    on(d, "caption", "post.add_product")
