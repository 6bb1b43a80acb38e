"""The post script's walk through the app: feed -> Create -> camera -> its gallery entry (never
the shutter) -> gallery: first N tiles in order -> Next -> editor Next (retried) -> caption typed
and checked -> Post (or Drafts) -> "Publish now" if asked -> the feed's NN% upload badge comes
and goes within upload_wait_time. A bounded screen -> action loop; the task's worker thread.
"""

from __future__ import annotations

import time

from appliance.scripts.anchors import match
from appliance.scripts.app_script import spin
from appliance.scripts.controls import gallery_tiles
from appliance.scripts.flow import DONE, run_flow
from appliance.scripts.hierarchy import Screen
from appliance.scripts.screens import on_home_feed
from appliance.scripts.ui import Ui

STEP = "post"
BADGE_GRACE = 6.0      # seconds on the feed without ever seeing a badge: uploaded fast


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def publish(ctx, ui: Ui, names: list[str]) -> str:
    cfg = ctx.config
    video = cfg["content_type"] in (0, "video")
    caption = spin(cfg["captions"], ctx.random)
    if caption != cfg["captions"]:
        ctx.log(f"caption variant chosen: {caption!r}")
    draft = cfg["post_way"] == "draft"
    state = {"tab": False, "picked": False, "sound": False, "typed": False, "posted": False}

    def feed(screen: Screen) -> str:
        if state["posted"]:
            return DONE
        if not on_home_feed(screen, ui.locale):
            ui.back()
            return "leave the video"
        ui.tap_control("nav.create", "open Create", screen)
        return "open Create"

    def camera(screen: Screen) -> str:
        ui.tap_control("camera.gallery", "open the gallery from the camera", screen)
        return "open the gallery"

    def gallery(screen: Screen) -> str:
        if match(screen, {"text": {"exact": "no_media_access"}}, ui.locale):
            raise ui.failure("open the gallery", "the app may not read photos and videos on "
                             "this phone: allow TikTok's photos and videos permission in the "
                             "phone's settings, then retry", screen)
        if not state["tab"]:
            tab = ui.find("gallery.videos_tab" if video else "gallery.photos_tab", screen)
            state["tab"] = True
            if tab is not None and not tab.selected:
                ui.tap(tab)
                return "open the media tab"
        if not state["picked"]:
            tiles = gallery_tiles(screen)
            if len(tiles) < len(names):
                raise ui.failure("pick the media", f"the gallery shows {len(tiles)} tile(s), "
                                 f"{len(names)} needed ({', '.join(names)})", screen)
            for tile in tiles[:len(names)]:
                ui.tap(tile)
                ctx.sleep(0.3)
            state["picked"] = True
            ctx.log(f"chose the {len(names)} newest file(s) in the gallery: {', '.join(names)}")
            return "choose the media"
        node = ui.find("gallery.next", screen)
        if node is None or not node.enabled:
            ctx.sleep(0.8)
            return "wait for Next"
        ui.tap(node)
        return "gallery next"

    def editor(screen: Screen) -> str:
        if cfg["add_sound"] and not state["sound"]:
            state["sound"] = True
            sound = match(screen, {"text": {"exact": "add_sound"}}, ui.locale)
            if sound:
                ui.tap(sound[0])
                ctx.sleep(cfg["sound_wait_time"])
                if ui.look("add a sound").name != "editor":
                    ui.back()
                ctx.log("opened the sound picker (the app keeps its suggested sound)")
                return "add a sound"
        ui.tap_control("editor.next", "leave the editor", screen)
        ctx.sleep(0.8)
        return "editor next"

    def caption_screen(screen: Screen) -> str:
        if not state["typed"]:
            ui.tap_control("post.caption", "focus the caption field", screen)
            ctx.sleep(0.3)
            ui.type_text(caption)
            state["typed"] = True
            shown = ui.find("post.caption", ui.look("check the caption"))
            if shown is not None and caption and not _same(shown.text, caption):
                ctx.warn(f"the caption field shows {shown.text[:80]!r}")
            screen = ui.last or screen
            if cfg["add_product_link"]:
                ctx.warn("add_product_link: this app version has no product link on the post "
                         "screen; skipped")
            if cfg["placement"]:
                ctx.warn(f"placement {cfg['placement']!r}: not offered by this app version; skipped")
        ui.hide_keyboard()
        ui.tap_control("post.drafts" if draft else "post.publish",
                       "save to drafts" if draft else "publish", screen)
        state["posted"] = True
        return "post"

    def dialog(screen: Screen) -> str:
        node = ui.find("popup.publish_now", screen)
        if node is None:
            ui.back()
            return "close an unknown dialog"
        ctx.log("the app asked 'Publish video publicly?': answered 'Publish now'")
        ui.tap(node)
        return "publish now"

    def after(screen: Screen) -> str:
        return DONE if state["posted"] else "wait"

    run_flow(ui, STEP, {"feed": feed, "camera": camera, "gallery": gallery, "editor": editor,
                        "caption": caption_screen, "dialog": dialog, "profile": after},
             max_steps=30, repeats={"editor next": 3, "wait for Next": 5, "post": 3})
    listed = ", ".join(names)
    if draft:
        ctx.log(f"saved {listed} to drafts with caption {caption!r}")
        return f"saved to drafts: {listed}"
    ctx.log(f"published {listed} with caption {caption!r}; waiting for the upload")
    wait_upload(ctx, ui, float(cfg["upload_wait_time"]))
    return f"posted {listed}" + (f" as @{ctx.username}" if ctx.username else "")


def wait_upload(ctx, ui: Ui, limit: float) -> None:
    """The feed's NN% badge appears and vanishes within `limit` s; still on the caption screen
    is not done; no badge ever seen within a few seconds on the feed = done fast."""
    step = "wait for the upload"
    started = time.monotonic()
    seen, last = False, ""
    while True:
        elapsed = time.monotonic() - started
        screen = ui.look(step)
        if screen.name == "feed":
            badge = ui.find("feed.upload_badge", screen)
            if badge is not None:
                seen = True
                if badge.text != last:
                    ctx.log(f"upload: {badge.text}")
                    last = badge.text
            elif seen:
                ctx.log(f"upload finished after {elapsed:.0f} s (the {last} badge is gone)")
                return
            elif elapsed >= BADGE_GRACE:
                ctx.log(f"no upload badge within {BADGE_GRACE:g} s on the feed: the upload "
                        "finished fast")
                return
        if elapsed >= limit:
            where = ("still on the caption screen" if screen.name == "caption"
                     else f"last seen: {last or 'no badge'}")
            raise ui.failure(step, f"the upload did not finish within {limit:g} s ({where}); "
                             "raise upload_wait_time or check the phone's network", screen)
        ctx.sleep(1.0)
