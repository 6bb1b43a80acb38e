"""locate() on dumps of the simulated app (builds 1, 2, 3; en and fr), driven screen by screen
with taps found by the locator itself: it names each screen and finds every control on it."""

import pytest

from appliance.scripts.post_flow import gallery_tiles

from .simdrive import Driver

CASES = [(b, loc) for b in (1, 2, 3) for loc in ("en", "fr")]
FEED = {"feed.like", "feed.comment", "feed.favourite", "feed.share", "feed.follow_author",
        "feed.search", "nav.home", "nav.friends", "nav.create", "nav.inbox", "nav.profile"}


def on(d: Driver, screen: str, *controls: str) -> dict:
    s = d.screen()
    assert s.name == screen, s.summary(60)
    found = d.controls()
    missing = [c for c in controls if c not in found]
    assert not missing, (screen, missing, s.summary(60))
    return found


def feed_with_a_normal_video(d: Driver) -> None:
    for _ in range(20):
        controls = d.controls()
        if d.screen().name == "feed" and "feed.like" in controls and "feed.follow_author" in controls \
                and not [n for n in d.screen().nodes if n.text in ("Ad", "Sponsorisé")]:
            return
        w, h = d.ui.size
        d.ui.swipe(w // 2, int(h * 0.75), w // 2, int(h * 0.25), 250)
    pytest.fail("no plain video in 20 swipes")


@pytest.mark.parametrize("build,locale", CASES)
def test_feed_comments_profile_switcher(build, locale):
    d = Driver(build, locale)
    feed_with_a_normal_video(d)
    found = on(d, "feed", *FEED)
    assert found["nav.create"] != found["gallery.next"] if "gallery.next" in found else True
    assert d.screen().locale == locale
    d.tap("feed.comment")
    on(d, "comments", "comment.input", "comment.close")
    assert "comment.send" not in d.controls()
    d.tap("comment.input")
    d.type("hello")
    found = on(d, "comments", "comment.input", "comment.send")
    assert found["comment.send"][0] >= found["comment.input"][2]
    d.tap("comment.close")
    on(d, "feed", "feed.like")
    d.tap("nav.profile")
    on(d, "profile", "profile.header", "nav.home")
    d.tap("profile.header")
    on(d, "account_switcher")
    d.back()
    on(d, "profile")


@pytest.mark.parametrize("build,locale", CASES)
def test_create_camera_gallery_editor_caption(build, locale):
    d = Driver(build, locale)
    d.add_media(["a.mp4", "b.mp4", "c.jpg"])
    d.tap("nav.create")
    on(d, "camera", "camera.gallery")
    d.tap("camera.gallery")
    if d.screen().name == "dialog":                 # Android 13 media permission
        on(d, "dialog", "popup.dismiss")
        d.tap("popup.dismiss")
    found = on(d, "gallery", "gallery.videos_tab", "gallery.photos_tab", "gallery.next",
               "gallery.first_tile")
    assert "nav.create" not in found and "camera.gallery" not in found
    d.tap("gallery.videos_tab")
    assert len(gallery_tiles(d.screen())) == 2
    d.tap("gallery.first_tile")
    assert d.screen().name == "gallery"
    for _ in range(3):
        d.tap("gallery.next" if d.screen().name == "gallery" else "editor.next")
        if d.screen().name == "caption":
            break
    found = on(d, "caption", "post.caption", "post.publish", "post.drafts")
    assert found["post.caption"][1] < 700
    assert not d.ui.records("photo_taken")


@pytest.mark.parametrize("build,locale", CASES)
def test_search_profile_follow_sheet_and_popup(build, locale):
    d = Driver(build, locale)
    d.tap("feed.search")
    on(d, "search", "search.input", "search.submit")
    d.tap("search.input")
    d.type("cat")
    d.tap("search.submit")
    on(d, "search", "search.users_tab", "search.videos_tab")
    d.ui.view_intent("https://www.tiktok.com/@someone_x")
    on(d, "profile", "profile.handle", "profile.action")
    d.tap("profile.action")
    on(d, "profile", "profile.action")
    d.tap("profile.action")
    on(d, "dialog", "profile.unfollow")
    d.back()
    d.ui.force_popup("dialog")
    on(d, "dialog", "popup.dismiss")
    d.tap("popup.dismiss")
    assert d.screen().name == "profile"
