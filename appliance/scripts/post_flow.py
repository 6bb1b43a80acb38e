"""The post script's walk through the app, entered three ways (`post_way`): addButton: feed ->
Create -> camera -> its gallery entry (never the shutter) -> gallery: first N tiles in order ->
Next; share: the pushed file sent to the app with a share intent, which opens the editor;
useSound: the sound's page (a TikTok link opened, or the search's Sounds tab) -> "Use this
sound" -> camera -> gallery. Then the editor (a sound added with its volumes when `add_sound`
asks; "Your Story" for placement story, else Next, retried) -> caption (title and description)
typed and checked -> "Add link" when asked -> Post (or Drafts) -> "Publish now" if asked -> the
feed's NN% upload badge comes and goes within upload_wait_time. A bounded screen -> action
loop; the task's worker thread.
"""

from __future__ import annotations

import time

from appliance.devices import quote
from appliance.domain.captions import render
from appliance.scripts.anchors import match
from appliance.scripts.controls import gallery_tiles
from appliance.scripts.flow import DONE, Action, run_flow
from appliance.scripts.hierarchy import Screen
from appliance.scripts.screens import on_home_feed
from appliance.scripts.ui import Ui

STEP = "post"
BADGE_GRACE = 6.0      # seconds on the feed without ever seeing a badge: uploaded fast


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def entry_way(cfg: dict, count: int) -> str:
    """How the post enters the app: share, addButton or useSound (draft: addButton)."""
    way = cfg["post_way"]
    if way == "draft":
        return "addButton"
    if way == "share" and count > 1:
        return "addButton"   # a share intent from the shell carries one file
    return way


def sound_wish(cfg: dict, way: str) -> str | None:
    """What to search in the editor's sound picker: None for no sound to add, "" for the first
    suggested sound."""
    add = str(cfg["add_sound"])
    if add == "custom":
        return cfg["custom_sound_keyword"].strip()
    if add == "1" and way != "useSound":   # useSound: the sound page's sound is the sound
        return cfg["sound_name"].strip()
    return None


def publish(ctx, ui: Ui, names: list[str], remote: list[str] | None = None) -> str:
    cfg = ctx.config
    video = cfg["content_type"] in (0, "video")
    caption = render(cfg["captions"], ctx.random)
    if caption.text != cfg["captions"]:
        ctx.log(f"caption variant chosen: {caption.text!r}")
    draft = cfg["post_way"] == "draft"
    way = entry_way(cfg, len(names))
    if way != cfg["post_way"] and not draft:
        ctx.log(f"post_way share: {len(names)} photos go through the Create button (a share "
                "from the shell carries one file)")
    story = cfg["placement"] == "story" and not draft
    wish = sound_wish(cfg, way)
    state = {"tab": False, "picked": False, "sound": False, "typed": False, "posted": False,
             "entered": False, "searched": False, "sounds_tab": False, "link": False}

    def enter(screen: Screen) -> str:
        """From the home feed into the app's posting path, once."""
        state["entered"] = True
        if way == "share":
            path = "/storage/emulated/0/" + (remote or [names[0]])[0].removeprefix("/sdcard/")
            kind = "video/*" if video else "image/*"
            ctx.shell(f"am start -a android.intent.action.SEND -t {kind} --eu "
                      f"android.intent.extra.STREAM {quote('file://' + path)} "
                      f"--grant-read-uri-permission -p {quote(ui.package)}")
            ctx.log(f"shared {names[0]} with the app (system share)")
            return "share the file"
        if way == "useSound":
            name = cfg["sound_name"].strip()
            if name.startswith(("https://", "http://")):
                ui.open_url(name)
                ctx.log(f"opened the sound link {name}")
                return "open the sound link"
            ui.search(name)
            ctx.log(f"searched the sound {name!r}")
            state["searched"] = True
            return "search the sound"
        ui.tap_control("nav.create", "open Create", screen)
        return "open Create"

    def feed(screen: Screen) -> str:
        if state["posted"]:
            return DONE
        if not on_home_feed(screen, ui.locale):
            ui.back()
            return "leave the video"
        if state["entered"] and way == "share":
            raise ui.failure("share the file", "the app did not open the shared file (the "
                             "phone may refuse a share from adb); use post_way addButton", screen)
        return enter(screen)

    def search(screen: Screen) -> str:
        if not state["searched"]:
            ui.back()
            return "leave search"
        if not state["sounds_tab"]:
            ui.hide_keyboard()
            ui.tap_control("search.sounds_tab", "open the Sounds tab", screen)
            state["sounds_tab"] = True
            return "open the Sounds tab"
        row = first_row(screen, cfg["sound_name"])
        if row is None:
            raise ui.failure("find the sound", f"the search shows no sound for "
                             f"{cfg['sound_name']!r}", screen)
        ctx.log(f"opened the sound {row.text!r}")
        ui.tap(row)
        return "open the sound"

    def other(screen: Screen) -> str:
        use = ui.find("sound.use", screen)
        if use is not None:
            ctx.log("the sound's page: tapped 'Use this sound'")
            ui.tap(use)
            return "use this sound"
        raise ui.failure(STEP, f"unexpected other screen in '{STEP}' (no 'Use this sound' on "
                               "it); expected a sound's page", screen)

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
        if wish is not None and not state["sound"]:
            state["sound"] = True
            add_sound(ctx, ui, screen, wish)
            return "add a sound"
        if story:
            ui.tap_control("editor.story", "publish with Your Story", screen)
            ctx.log("placement story: published with 'Your Story' (a story has no caption)")
            state["posted"] = True
            return "your story"
        ui.tap_control("editor.next", "leave the editor", screen)
        ctx.sleep(0.8)
        return "editor next"

    def caption_screen(screen: Screen) -> str:
        if not state["typed"]:
            ui.tap_control("post.caption", "focus the caption field", screen)
            ctx.sleep(0.3)
            ui.type_text(caption.description)
            state["typed"] = True
            shown = ui.find("post.caption", ui.look("check the caption"))
            if shown is not None and caption.description and \
                    not _same(shown.text, caption.description):
                ctx.warn(f"the caption field shows {shown.text[:80]!r}")
            if caption.title:
                type_title(ctx, ui, caption.title)
            screen = ui.last or screen
        if cfg["add_product_link"] and not state["link"]:
            state["link"] = True
            ui.hide_keyboard()
            add_product_link(ctx, ui)
            screen = ui.look("post")
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
        if state["posted"]:
            return DONE
        if not state["entered"]:
            # An account switch ends on the profile: the way in starts from the home feed.
            ui.tap_control("nav.home", "go to the home feed", screen)
            return "go to the home feed"
        return "wait"

    actions: dict[str, Action] = {"feed": feed, "camera": camera, "gallery": gallery, "editor": editor,
               "caption": caption_screen, "dialog": dialog, "profile": after}
    if way == "useSound":   # the search's Sounds tab and the sound's page ("other")
        actions.update(search=search, other=other)
    run_flow(ui, STEP, actions,
             max_steps=40, repeats={"editor next": 3, "wait for Next": 5, "post": 3})
    listed = ", ".join(names)
    if draft:
        ctx.log(f"saved {listed} to drafts with caption {caption.text!r}")
        return f"saved to drafts: {listed}"
    ctx.log(f"published {listed} via {way} with caption {caption.text!r}; waiting for the upload")
    wait_upload(ctx, ui, float(cfg["upload_wait_time"]))
    return f"posted {listed}" + (f" as @{ctx.username}" if ctx.username else "")


def first_row(screen: Screen, name: str):
    """The search's first sound row: the one titled `name` (any case), else the first title."""
    tabs = {id(n) for n in match(screen, {"text": {"exact": ["sounds_tab", "volume_tab"]}})}
    texts = [n for n in screen.nodes if n.cls.endswith("TextView") and n.text.strip()
             and screen.fraction(n)[1] > 0.16 and id(n) not in tabs]
    wanted = " ".join(name.split()).lower()
    for node in texts:
        if " ".join(node.text.split()).lower() == wanted:
            return node
    return texts[0] if texts else None


def add_sound(ctx, ui: Ui, screen: Screen, wish: str) -> None:
    """The editor's "Add sound" picker: search `wish` (or keep the suggestions), choose the
    first matching sound, wait sound_wait_time, set both volumes, close the picker."""
    cfg = ctx.config
    ui.tap_control("editor.add_sound", "open the sound picker", screen)
    picker = ui.look("add a sound")
    if wish:
        ui.tap_control("picker.search", "search a sound", picker)
        ui.type_text(wish)
        ui.key("ENTER")
        picker = ui.look("add a sound")
    row = first_row(picker, wish)
    if row is None:
        raise ui.failure("add a sound", f"the sound picker lists no sound for {wish!r}", picker)
    ui.tap(row)
    ctx.log(f"chose the sound {row.text!r}" + (f" (searched {wish!r})" if wish else ""))
    ctx.sleep(float(cfg["sound_wait_time"]))
    ui.tap_control("picker.volume_tab", "open the volume sliders", ui.look("add a sound"))
    panel = ui.look("set the volumes")
    for control, field in (("picker.origin_volume", "origin_sound_volume"),
                           ("picker.added_volume", "add_sound_volume")):
        slider = ui.need(control, "set the volumes", panel)
        value = int(cfg[field])
        x1, y1, x2, y2 = slider.bounds
        ui.tap_xy(min(x2 - 1, x1 + round((x2 - x1) * value / 100)), (y1 + y2) // 2)
    panel = ui.look("check the volumes")
    shown = [n.text for n in match(panel, {"class": "SeekBar"}, ui.locale, )]
    ctx.log(f"volumes: original {cfg['origin_sound_volume']}, added {cfg['add_sound_volume']}"
            + (f" (sliders show {', '.join(shown)})" if shown else ""))
    ui.back()


def type_title(ctx, ui: Ui, title: str) -> None:
    """`Title##Description`: the title goes in the caption screen's title field."""
    ui.hide_keyboard()
    field = ui.find("post.title", ui.look("type the title"))
    if field is None:
        ctx.warn("this app version shows no title field: the title was not typed")
        return
    ui.tap(field)
    ctx.sleep(0.3)
    ui.type_text(title)
    ctx.log(f"typed the title {title!r}")


def add_product_link(ctx, ui: Ui) -> None:
    """`add_product_link` 1: "Add link" -> the account's first product ("Add")."""
    screen = ui.look("add a product link")
    link = ui.find("post.add_link", screen)
    if link is None:
        ctx.warn("add_product_link: this app version shows no 'Add link' on the post screen "
                 "(the account may have no shop); skipped")
        return
    ui.tap(link)
    ctx.sleep(0.5)
    add = ui.find("post.add_product", ui.look("add a product link"))
    if add is None:
        ctx.warn("add_product_link: the link sheet offers no product; skipped")
        ui.back()
        return
    ui.tap(add)
    ctx.log("added a product link")


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
