"""The simulated phone's screen: which window is in front (launcher, the short-video app, another
app) and the input and activity-manager calls that `shell.py`'s virtual commands make on it.

One `AndroidUi` per phone; adbd connection threads call it concurrently, so every public method
takes the one `RLock`. Chance comes from the injected `rng`, time from the injected `clock`.

The app (`package`, default com.zhiliaoapp.musically; com.ss.android.ugc.trill works too) shows
the accessibility surface of the real app 43.x-46.x, screen by screen, as docs/APP-SURFACE.md
describes it: obfuscated 2-3 character resource ids that change per `app_build` (app/ids.py), a
few fixed semantic ids (`long_press_layout`, `player_view`, `title`, `desc`, `cover`,
`view_rootview`, `android:id/text1`), and texts/descs in `locale` en or fr (app/strings.py).

| screen (activity) | module |
|---|---|
| launcher, other apps, log-in, Friends/Inbox stubs, splash, switch loading | app/system.py |
| home feed (MainActivity) and single video (DetailActivity); comment sheet | app/feed.py, app/comments.py |
| camera (VideoRecordNewActivity), gallery over it (MediaChooseActivity), editor | app/create.py |
| caption (VideoPublishActivity), "Publish video publicly?" sheet | app/publish.py |
| own profile + account switcher sheet; other user (UserProfileActivity) | app/profile.py |
| search (SearchResultActivity) | app/search.py |
| popups: contacts, GDPR, follow friends, shared collections; permission controller window | app/popups.py |

Windows: a dump holds the app's screen with any in-app overlay above it (the screen stays in the
tree), or the permission controller's window alone. The keyboard is never in a dump; on the
caption screen it covers y >= 1450 (design units) while a field has focus, swallowing taps.
`video_playing()` (the platform makes dumps fail meanwhile) and `keyboard_shown()` say what a
real phone's state would be.

Input semantics: `input_text` types printable ASCII only ("%s" is a space; other characters are
dropped, as a real `input text` cannot type them); the ADBKeyboard broadcasts type any unicode.
An EditText shows its hint as text while empty. BACK first hides the keyboard of a focused field,
then closes a sheet, then leaves the screen; at the app's root it goes home.

Records (`records(kind)`, each with `kind`, `t` = clock, `account`): launch (cold, via), watch
(video_id, author, seconds; written when the video leaves the screen), pause/play (video_id),
like/unlike and collect/uncollect (video_id, author), follow/unfollow (username, via), comment
(video_id, author, text), post (caption, media_type, media [{name, size, kind, path}], status
uploading -> posted, video_id), draft, photo_taken (path), copy_handle (text), switch_account
(previous), login (previous), popup (title, style, trigger, choice: None until a button or
"back"), crash (was_running, screen).
"""

from __future__ import annotations

import base64
import random
import threading
import time
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from .app import App
from .app.base import PKG
from .app.create import receive_share
from .app.popups import PERMISSION_PKG
from .app.render import hit, to_png, to_xml
from .app.sound import SoundPageScreen
from .app.sound import from_link as sound_from_link
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
                 popup_rate: float = 0.03, upload_seconds: float | tuple[float, float] = 3.0,
                 splash_seconds: float = 0.0, app_build: int = 1, locale: str = "en",
                 sdk: int = 33, package: str = PKG, switch_seconds: float = 0.0,
                 publish_sheet_rate: float = 1 / 3, next_ignore_rate: float = 0.25,
                 ad_rate: float = 1 / 8, live_rate: float = 1 / 12):
        self.serial = serial
        width, height = screen
        self.size = (width, height)
        self.clock = clock or time.monotonic
        self._lock = threading.RLock()
        self.app = App(rng, self.size, accounts, self.clock, popup_rate, upload_seconds,
                       splash_seconds, app_build=app_build, locale=locale, sdk=sdk,
                       package=package, switch_seconds=switch_seconds,
                       publish_sheet_rate=publish_sheet_rate, next_ignore_rate=next_ignore_rate,
                       ad_rate=ad_rate, live_rate=live_rate)
        self.installed = set(SYSTEM_PACKAGES) | {package, ADB_KEYBOARD}
        self.foreign: str | None = None  # another app's package in front of the launcher
        self._png: tuple[str, bytes] | None = None

    # -- what the app is ---------------------------------------------------------------------
    @property
    def package(self) -> str:
        return self.app.package

    @property
    def app_build(self) -> int:
        return self.app.app_build

    @property
    def version_name(self) -> str:
        return self.app.version_name

    @property
    def locale(self) -> str:
        return self.app.locale

    @property
    def sdk(self) -> int:
        return self.app.sdk

    @property
    def granted(self) -> set[str]:
        with self._lock:
            return set(self.app.granted)

    def grant(self, permission: str) -> bool:
        """`pm grant`: False for a permission this Android version does not know."""
        with self._lock:
            return self.app.grant(permission)

    def revoke(self, permission: str) -> bool:
        with self._lock:
            return self.app.revoke(permission)

    def force_popup(self, style: str = "dialog") -> None:
        with self._lock:
            self.app.force_popup(style)

    def video_playing(self) -> bool:
        """A video plays in front (feed or single video, LIVE too; no sheet, dialog or popup,
        not paused): a real `uiautomator dump` often cannot get an idle state meanwhile."""
        with self._lock:
            return self._app_in_front() and self.app.video_playing()

    def keyboard_shown(self) -> bool:
        """A text field of the app in front has focus (`dumpsys input_method` mInputShown)."""
        with self._lock:
            return self._app_in_front() and self.app.keyboard_shown()

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
            if package == self.package:
                self.app.clear_data()
            present = package in self.installed
            self.installed.discard(package)
            return present

    def foreground(self) -> tuple[str, str]:
        """(package, activity class) of the window in front, for `dumpsys window`."""
        with self._lock:
            if self._app_in_front():
                if self.app.system_popup():
                    return PERMISSION_PKG, PERMISSION_ACTIVITY
                if self.app.splashing():
                    return self.package, LAUNCH_ACTIVITY
                top = self.app.top
                return self.package, top.activity if top is not None else LAUNCH_ACTIVITY
            if self.foreign:
                return self.foreign, f"{self.foreign}.MainActivity"
            return LAUNCHER, "com.android.launcher3.uioverrides.QuickstepLauncher"

    def _app_in_front(self) -> bool:
        return self.app.running and self.app.foreground and self.foreign is None

    def _start(self, package: str, via: str) -> None:
        if package == self.package:
            self.foreign = None
            self.app.launch(via)
        else:
            self.app.foreground = False
            self.foreign = None if package == LAUNCHER else package

    def start_activity(self, package: str, component: str | None = None) -> str:
        with self._lock:
            if component is None:
                cls = LAUNCH_ACTIVITY if package == self.package else f"{package}.MainActivity"
                intent = (f"act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] "
                          f"cmp={_short_component(package, cls)}")
            else:
                cls = package + component if component.startswith(".") else component
                intent = f"cmp={_short_component(package, cls)}"
            head = f"Starting: Intent {{ {intent} }}"
            known = package in self.installed and (package != self.package or cls in TIKTOK_ACTIVITIES)
            if not known:
                if component is None:
                    return "** No activities found to run, monkey aborted."
                return (f"{head}\nError type 3\nError: Activity class {{{package}/{cls}}} "
                        "does not exist.")
            in_front = (self._app_in_front() if package == self.package else self.foreign == package)
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
            if parts.netloc.lower() not in TIKTOK_HOSTS or self.package not in self.installed:
                self._start("com.android.chrome", "deeplink")
                self._after()
                return head
            self._start(self.package, "deeplink")
            segments = [unquote(s) for s in parts.path.split("/") if s]
            found = sound_from_link(parts.path)  # a /music/<name>-<id> link: the sound's page
            if self.app.account and found is not None:
                self.app.push(SoundPageScreen(found))
            elif self.app.account and segments and segments[0].startswith("@"):
                user = segments[0][1:]
                if len(segments) >= 3 and segments[1] == "video":
                    self.app.world.user(user)
                    self.app.world.video(segments[2], user)
                    self.app.open_videos([segments[2]])
                elif user:
                    self.app.open_user(user)
            self._after()
            return head

    def share_intent(self, package: str | None, uris: list[str]) -> str:
        """`am start -a android.intent.action.SEND(_MULTIPLE) -t video/* --eu
        android.intent.extra.STREAM <file uri> -p <package>`: the app's share entry."""
        with self._lock:
            head = "Starting: Intent { act=android.intent.action.SEND typ=*/* pkg=" \
                   f"{package or ''} (has extras) }}"
            if package != self.package or self.package not in self.installed:
                return f"{head}\nError: Activity not started, unable to resolve Intent"
            self._start(self.package, "share")
            receive_share(self.app, uris)
            self._after()
            return head

    def force_stop(self, package: str) -> None:
        with self._lock:
            if package == self.package:
                self.app.stop()
            elif self.foreign == package:
                self.foreign = None

    def clear_data(self, package: str) -> None:
        with self._lock:
            if package == self.package:
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
            self._after()
            return f"Broadcasting: Intent {{ {intent} }}\nBroadcast completed: result=0"

    def media_scan(self, path: str, size: int, mtime: float | None = None) -> None:
        """Index a file for the gallery (newest mtime first; ties: last scanned first). A file
        without a media extension is ignored; a re-scan updates the entry."""
        with self._lock:
            self.app.media_scan(path, int(size), mtime)

    def media_remove(self, path: str) -> None:
        with self._lock:
            self.app.media_remove(path)

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
                                            lambda p: self._start(p, "launcher"), self.package)],
                           int(x), int(y))
                if node is not None and node.on_tap is not None:
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
        return launcher_window(self.size, self.installed, lambda p: None, self.package)

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
