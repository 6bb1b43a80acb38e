"""The simulated phone's screen: which window is in front (launcher, the short-video app, another
app) and the input and activity-manager calls that `shell.py`'s virtual commands make on it.

One `AndroidUi` per phone; adbd connection threads call it concurrently, so every public method
takes the one `RLock`. Chance comes from the injected `rng`, time from the injected `clock`.

Screens of com.zhiliaoapp.musically and their resource ids (all `com.zhiliaoapp.musically:id/<id>`
except the launcher's; ids repeat per list item, as in a RecyclerView). Quoted strings are texts.
tests/sim/test_app.py checks that this table names every id on screen and nothing else.

| screen (activity) | ids |
|---|---|
| launcher (com.google.android.apps.nexuslauncher) | `workspace`; icons are TextViews, text = content-desc = "TikTok", "Settings", ... |
| login (SignUpOrLoginActivity) | `login_root` > `login_title`, `login_username` (EditText), `login_password`, `login_button` "Log in", `login_back` (when adding) |
| home feed (MainActivity) | `feed_root` > `viewpager` > `feed_video` (desc "Video by @user") > `action_rail` > `author_avatar`, `follow_button` "+" (desc "Follow @user", absent once followed), `like_button` (selected when liked), `like_count`, `comment_button`, `comment_count`, `collect_button` (selected when favourited), `collect_count`, `share_button`, `share_count`; `author_name` "@user", `video_desc`; top: `tab_following`, `tab_foryou`, `feed_search` (desc "Search"); `upload_progress` "Uploading 42%" / "Your post is published"; swipe up = next video |
| bottom tabs (feed, own profile, Friends `friends_title`, Inbox `inbox_title`) | `bottom_tabs` > `nav_home` "Home", `nav_friends`, `nav_create` (desc "Create"), `nav_inbox`, `nav_profile` "Profile" |
| single video (DetailActivity) | as the feed without top tabs and bottom tabs, plus `video_back` |
| comment panel (over a video) | `comment_panel` > `comment_title` "N comments", `comment_close`, `comment_list` > `comment_item` > `comment_author`, `comment_text` (newest first); `comment_input` (EditText, hint "Add comment...", ENTER types a newline), `comment_post` "Post" (enabled once text is typed); a tap above the panel closes it |
| share sheet | `share_panel` > `share_copy_link`, `share_cancel` |
| search (SearchResultActivity) | `search_root` > `search_back`, `search_input` (focused on open; ENTER searches), `search_button` "Search"; after a search: `search_tabs` > `search_tab_users` "Users", `search_tab_videos` "Videos" (selected tab), `search_results` > `search_user_item` (desc "@user") > `search_user_avatar`, `search_user_name` (text = username, no @), `search_user_info`; or `search_video_item` (desc "Video by @user: ...") > `search_video_cover`, `search_video_desc`, `search_video_author`; `search_empty` |
| user profile (UserProfileActivity) | `profile_root` > `profile_back`, `profile_title` (nickname), `profile_avatar`, `profile_username` "@user", `profile_{following,followers,likes}_count` (text "1.2K") and `profile_{following,followers,likes}_label`, `profile_follow_button` "Follow" / "Following" (selected); tapping "Following" opens `dialog_container` > `dialog_title` "Unfollow @user?", `dialog_cancel`, `dialog_confirm` "Unfollow"; `profile_video_item_grid` > `profile_video_item` (desc "Video <id>") > `profile_video_item_caption` (likes) |
| own profile (MainActivity, Profile tab) | `own_profile_root` > `own_username` "@account" and `account_switch` (both desc "Switch account"), `own_avatar`, `own_nickname`, `own_{following,followers,likes}_count`, `own_{following,followers,likes}_label`, `edit_profile_button`, `upload_progress`, `own_video_item_grid` > `own_video_item` (desc "Post: caption") > `own_video_item_caption` "Uploading..." / "0 views" |
| account switcher (sheet on own profile) | `switch_account_panel` > `switch_account_title`, `account_list` > `account_item` (desc "@name") > `account_name` "@name", `account_check` (checked = current); `add_account` |
| create (VideoRecordNewActivity) | `create_root` > `create_close`, `record_button`, `upload_button` "Upload" |
| gallery picker (MediaChooseActivity) | `gallery_root` > `gallery_close`, `gallery_title`, `gallery_tabs` > `gallery_tab_all`, `gallery_tab_videos`, `gallery_tab_photos`, `gallery_grid` > `gallery_item` (desc "Video, x.mp4, 123 bytes" / "Photo, ..."; newest first) > `gallery_check` (CheckBox, checked, text = order), `gallery_item_name`; `gallery_empty`; `gallery_next` "Next" / "Next (3)" (enabled once something is chosen) |
| edit (VEVideoPublishEditActivity) | `edit_root` > `edit_back`, `edit_sounds`, `edit_next` "Next" |
| post (VideoPublishActivity) | `post_root` > `post_back`, `post_title`, `caption_input` (multiline EditText; ENTER types a newline), `post_cover`, `post_hashtag_button`, `post_mention_button`, `post_privacy`, `drafts_button`, `post_button` "Post" |
| popup (over any app screen, seeded) | `popup_container` > `popup_title` (e.g. "Sync your contacts?"), `popup_message`, `popup_negative` "Not now", `popup_positive` "OK"; taps elsewhere are swallowed, BACK dismisses |
| permission dialog (one popup in five; its own window, package com.android.permissioncontroller) | `grant_dialog` > `permission_message` "Allow TikTok to send you notifications?", `permission_allow_button` "Allow", `permission_deny_button` "Don't allow" |
| splash (cold start, for splash_seconds, default 0) | no ids: an ImageView with desc "TikTok"; input is ignored |

Input semantics: `input_text` types printable ASCII only ("%s" is a space; other characters are
dropped, as a real `input text` cannot type them); the ADBKeyboard broadcasts type any unicode.
An EditText shows its hint as text while empty. BACK first hides the keyboard of a field the
user tapped, then closes a panel, then leaves the screen; at the app's root it goes home.

Records (`records(kind)`, each with `kind`, `t` = clock, `account`): launch (cold, via), watch
(video_id, author, seconds; written when the video leaves the screen), like/unlike and
collect/uncollect (video_id, author), follow/unfollow (username, via), comment (video_id, author,
text), post (caption, media_type, media [{name, size, kind, path}], status uploading -> posted,
video_id), draft, switch_account (previous), login (previous), popup (title, trigger, choice:
None until "Not now"/"OK"/"back"), crash (was_running, screen).
"""

from __future__ import annotations

import base64
import random
import threading
import time
from typing import Callable
from urllib.parse import unquote, urlsplit

from .app import App
from .app.base import PKG
from .app.popups import PERMISSION_PKG
from .app.render import hit, to_png, to_xml
from .app.system import LAUNCHER, foreign_window, launcher_window

ADB_KEYBOARD = "com.android.adbkeyboard"
SYSTEM_PACKAGES = ["android", "com.android.systemui", "com.android.shell", "com.android.phone",
                   "com.android.providers.media", "com.android.settings", "com.android.vending",
                   "com.android.chrome", "com.android.camera2", "com.google.android.dialer",
                   "com.google.android.apps.photos", "com.google.android.apps.messaging",
                   "com.google.android.gms", "com.google.android.inputmethod.latin", LAUNCHER]
TIKTOK_ACTIVITIES = {"com.ss.android.ugc.aweme.splash.SplashActivity",
                     "com.ss.android.ugc.aweme.main.MainActivity"}
TIKTOK_HOSTS = {"www.tiktok.com", "tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"}
LAUNCH_ACTIVITY = "com.ss.android.ugc.aweme.splash.SplashActivity"
PERMISSION_ACTIVITY = "com.android.permissioncontroller.permission.ui.GrantPermissionsActivity"

KEYCODES = {"3": "HOME", "4": "BACK", "66": "ENTER", "67": "DEL", "112": "FORWARD_DEL",
            "62": "SPACE", "61": "TAB", "187": "APP_SWITCH", "26": "POWER", "82": "MENU",
            "24": "VOLUME_UP", "25": "VOLUME_DOWN", "111": "ESCAPE", "160": "NUMPAD_ENTER"}
KEYCODES.update({str(29 + i): chr(ord("A") + i) for i in range(26)})
KEYCODES.update({str(7 + i): str(i) for i in range(10)})


def _key_name(code: str) -> str:
    code = str(code).strip().upper()
    name = KEYCODES.get(code, code.removeprefix("KEYCODE_"))
    return {"SPACE": " ", "TAB": "\t", "NUMPAD_ENTER": "ENTER"}.get(
        name, name.lower() if len(name) == 1 else name)


def _short_component(package: str, cls: str) -> str:
    return f"{package}/{cls[len(package):]}" if cls.startswith(package + ".") else f"{package}/{cls}"


class AndroidUi:
    """The screen, windows and input of one simulated phone, with the short-video app installed."""

    def __init__(self, rng: random.Random, serial: str, screen: tuple[int, int] = (1080, 2400),
                 accounts: list[str] | None = None, *, clock: Callable[[], float] | None = None,
                 popup_rate: float = 0.03, upload_seconds: float = 3.0, splash_seconds: float = 0.0):
        self.serial = serial
        self.size = tuple(screen)
        self.clock = clock or time.monotonic
        self._lock = threading.RLock()
        self.app = App(rng, self.size, accounts, self.clock, popup_rate, upload_seconds,
                       splash_seconds)
        self.installed = set(SYSTEM_PACKAGES) | {PKG, ADB_KEYBOARD}
        self.foreign: str | None = None  # another app's package in front of the launcher
        # Set by the virtual Android so a MEDIA_SCANNER broadcast can learn a file's size
        # (None: the file does not exist, nothing is scanned).
        self.file_size: Callable[[str], int | None] | None = None
        self._png: tuple[str, bytes] | None = None

    # -- packages and activities ---------------------------------------------------------
    def packages(self) -> list[str]:
        with self._lock:
            return sorted(self.installed)

    def install(self, package: str) -> None:
        with self._lock:
            self.installed.add(package)

    def uninstall(self, package: str) -> bool:
        with self._lock:
            self.force_stop(package)
            if package == PKG:
                self.app.clear_data()
            present = package in self.installed
            self.installed.discard(package)
            return present

    def foreground(self) -> tuple[str, str]:
        """(package, activity class) of the window in front, for `dumpsys window`."""
        with self._lock:
            if self._app_in_front():
                if self.app.popup is not None and self.app.popup["style"] == "permission":
                    return PERMISSION_PKG, PERMISSION_ACTIVITY
                if self.app.splashing():
                    return PKG, LAUNCH_ACTIVITY
                return PKG, self.app.top.activity
            if self.foreign:
                return self.foreign, f"{self.foreign}.MainActivity"
            return LAUNCHER, "com.android.launcher3.uioverrides.QuickstepLauncher"

    def _app_in_front(self) -> bool:
        return self.app.running and self.app.foreground and self.foreign is None

    def _start(self, package: str, via: str) -> None:
        if package == PKG:
            self.foreign = None
            self.app.launch(via)
        else:
            self.app.foreground = False
            self.foreign = None if package == LAUNCHER else package

    def start_activity(self, package: str, component: str | None = None) -> str:
        with self._lock:
            if component is None:
                cls = LAUNCH_ACTIVITY if package == PKG else f"{package}.MainActivity"
                intent = (f"act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] "
                          f"cmp={_short_component(package, cls)}")
            else:
                cls = package + component if component.startswith(".") else component
                intent = f"cmp={_short_component(package, cls)}"
            head = f"Starting: Intent {{ {intent} }}"
            known = package in self.installed and (package != PKG or cls in TIKTOK_ACTIVITIES)
            if not known:
                if component is None:
                    return "** No activities found to run, monkey aborted."
                return (f"{head}\nError type 3\nError: Activity class {{{package}/{cls}}} "
                        "does not exist.")
            in_front = (self._app_in_front() if package == PKG else self.foreign == package)
            self._start(package, "am")
            self._after()
            if in_front:
                return (f"{head}\nWarning: Activity not started, its current task has been "
                        "brought to the front")
            return head

    def view_intent(self, uri: str) -> str:
        with self._lock:
            parts = urlsplit(uri)
            shown = f"{parts.scheme}://{parts.netloc}/..." if parts.netloc else uri
            head = f"Starting: Intent {{ act=android.intent.action.VIEW dat={shown} }}"
            if parts.scheme not in ("http", "https"):
                return (f"{head}\nError: Activity not started, unable to resolve Intent "
                        f"{{ act=android.intent.action.VIEW dat={shown} flg=0x10000000 }}")
            if parts.netloc.lower() not in TIKTOK_HOSTS or PKG not in self.installed:
                self._start("com.android.chrome", "deeplink")
                self._after()
                return head
            self._start(PKG, "deeplink")
            segments = [unquote(s) for s in parts.path.split("/") if s]
            if self.app.account and segments and segments[0].startswith("@"):
                user = segments[0][1:]
                if len(segments) >= 3 and segments[1] == "video":
                    self.app.world.user(user)
                    self.app.world.video(segments[2], user)
                    self.app.open_videos([segments[2]])
                elif user:
                    self.app.open_user(user)
            self._after()
            return head

    def force_stop(self, package: str) -> None:
        with self._lock:
            if package == PKG:
                self.app.stop()
            elif self.foreign == package:
                self.foreign = None

    def clear_data(self, package: str) -> None:
        with self._lock:
            if package == PKG:
                self.app.clear_data()
            elif self.foreign == package:
                self.foreign = None

    # -- broadcasts ------------------------------------------------------------------------
    def broadcast(self, action: str, extras: dict[str, str]) -> str:
        """`am broadcast -a ACTION [-d URI as extras["data"]] [--es k v ...]`."""
        with self._lock:
            extras = dict(extras or {})
            data = extras.pop("data", None) or extras.pop("uri", None)
            intent = f"act={action}" + (f" dat={data}" if data else "") + " flg=0x400000"
            if extras:
                intent += " (has extras)"
            if action == "ADB_INPUT_TEXT":
                self._type(extras.get("msg", ""))
            elif action == "ADB_INPUT_B64":
                try:
                    self._type(base64.b64decode(extras.get("msg", ""), validate=True).decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    pass  # ADBKeyboard logs the bad input and types nothing
            elif action == "ADB_CLEAR_TEXT":
                if self._app_in_front() and self.app.focus is not None and self.app.popup is None:
                    self.app.focus.value = ""
            elif action == "ADB_INPUT_CODE":
                self.keyevent(extras.get("code", ""))
            elif action == "ADB_EDITOR_CODE" and self._app_in_front():
                self.app.key("ENTER")
            elif action == "android.intent.action.MEDIA_SCANNER_SCAN_FILE":
                path = unquote((data or extras.get("msg", "")).removeprefix("file://"))
                size = self.file_size(path) if self.file_size else int(extras.get("size", 0) or 0)
                if path and size is not None:
                    self.media_scan(path, size)
            self._after()
            return f"Broadcasting: Intent {{ {intent} }}\nBroadcast completed: result=0"

    def media_scan(self, path: str, size: int) -> None:
        with self._lock:
            self.app.media_scan(path, int(size))

    # -- input -----------------------------------------------------------------------------
    def _type(self, text: str) -> None:
        if self._app_in_front():
            self.app.type_text(text)

    def tap(self, x: int, y: int) -> None:
        with self._lock:
            if self._app_in_front():
                self.app.tap(int(x), int(y))
            elif self.foreign is None:
                node = hit([launcher_window(self.size, self.installed,
                                            lambda p: self._start(p, "launcher"))],
                           int(x), int(y))
                if node is not None:
                    node.on_tap()
            self._after()

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
        with self._lock:
            if self._app_in_front():
                self.app.swipe(int(x1), int(y1), int(x2), int(y2))
            self._after()

    def input_text(self, text: str) -> None:
        with self._lock:
            typed = text.replace("%s", " ")
            self._type("".join(ch for ch in typed if " " <= ch <= "~"))
            self._after()

    def keyevent(self, code: str) -> None:
        with self._lock:
            name = _key_name(code)
            if name == "HOME":
                self.app.foreground = False
                self.foreign = None
            elif self._app_in_front():
                self.app.key(name)
            elif name == "BACK":
                self.foreign = None
            self._after()

    def _after(self) -> None:
        self.app.sync_watch()

    # -- what is on screen -----------------------------------------------------------------
    def _window(self):
        if self._app_in_front():
            return self.app.window()
        if self.foreign:
            return foreign_window(self.size, self.foreign)
        return launcher_window(self.size, self.installed, lambda p: None)

    def dump_xml(self) -> str:
        with self._lock:
            return to_xml([self._window()])

    def screencap_png(self) -> bytes:
        with self._lock:
            window = self._window()
            key = to_xml([window])
            if self._png is None or self._png[0] != key:
                self._png = (key, to_png([window], *self.size))
            return self._png[1]

    # -- faults and records ----------------------------------------------------------------
    def crash(self) -> None:
        with self._lock:
            self.app.crash()

    def records(self, kind: str | None = None) -> list[dict]:
        with self._lock:
            self.app.tick()
            return self.app.records.list(kind)


__all__ = ["AndroidUi"]
