"""The virtual Android behind a simulated phone's shell: getprop, am, monkey, input, screencap,
dumpsys battery/window/input_method, settings, wm, ime (file commands: toybox.py; pm and dumpsys
package: packages.py; uiautomator: uiautomator.py; media scanning and `content`: media.py).

`VirtualAndroid.run(line)` is called from adbd stream threads, possibly several at once for one
phone: the app (ui) is only touched under `ui_lock`; the file system has its own lock.
"""

from __future__ import annotations

import math
import posixpath
import random
import threading
import time
from collections.abc import Callable

from appliance.sim.fs import FsError, VirtualFs
from appliance.sim.media import SCAN_ACTION, MediaIndex
from appliance.sim.packages import PackageManager
from appliance.sim.shell import IO, CommandFn, Shell
from appliance.sim.toybox import Toybox
from appliance.sim.uiautomator import UiDumper

MODELS = [  # (model, brand, device, manufacturer, product name)
    ("Pixel 6", "google", "oriole", "Google", "oriole"),
    ("SM-G991B", "samsung", "o1s", "samsung", "o1sxeea"),
    ("Redmi Note 10", "Redmi", "mojito", "Xiaomi", "mojito_global"),
    ("moto g(30)", "motorola", "caprip", "motorola", "caprip_retail"),
    ("Pixel 7", "google", "panther", "Google", "panther"),
]
RELEASES = [("11", "30"), ("12", "31"), ("13", "33"), ("14", "34")]
RELEASE_OF_SDK = {"29": "10", "30": "11", "31": "12", "32": "12", "33": "13", "34": "14", "35": "15"}
LOCALE_TAGS = {"en": "en-US", "fr": "fr-FR", "de": "de-DE", "es": "es-ES", "it": "it-IT", "pt": "pt-BR"}
ADB_IME = "com.android.adbkeyboard/.AdbIME"
SEND_ACTIONS = ("android.intent.action.SEND", "android.intent.action.SEND_MULTIPLE")
SETTINGS_DEFAULTS = {
    ("system", "screen_brightness"): "128",
    ("system", "screen_off_timeout"): "60000",
    ("system", "accelerometer_rotation"): "0",
    ("secure", "default_input_method"):
        "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME",
    ("secure", "enabled_input_methods"):
        "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME"
        ":com.android.adbkeyboard/.AdbIME",
    ("global", "adb_enabled"): "1",
    ("global", "airplane_mode_on"): "0",
    ("global", "stay_on_while_plugged_in"): "0",
}


def locale_tag(locale: str) -> str:
    """"fr" -> "fr-FR" (a full tag such as "fr-CA" is kept)."""
    return locale if "-" in locale else LOCALE_TAGS.get(locale, f"{locale}-{locale.upper()}")


def make_props(serial: str, rng: random.Random, *, locale: str = "en",
               sdk: int | None = None) -> dict[str, str]:
    """The phone's system properties; the model and Android release are drawn from `rng` (the
    same draws whatever `sdk` says, so a seed gives the same model), `sdk` forces the release."""
    model, brand, device, manufacturer, name = rng.choice(MODELS)
    release, sdk_text = rng.choice(RELEASES)
    if sdk is not None:
        sdk_text = str(sdk)
        release = RELEASE_OF_SDK.get(sdk_text, release)
    return {
        "ro.serialno": serial, "ro.boot.serialno": serial,
        "ro.product.model": model, "ro.product.brand": brand, "ro.product.device": device,
        "ro.product.manufacturer": manufacturer, "ro.product.name": name,
        "ro.build.version.release": release, "ro.build.version.sdk": sdk_text,
        "ro.build.fingerprint": f"{brand}/{name}/{device}:{release}/SIM.{sdk_text}0101.001/"
                                f"{serial[-4:]}:user/release-keys",
        "ro.product.cpu.abi": "arm64-v8a", "ro.build.type": "user", "ro.debuggable": "0",
        "sys.boot_completed": "1", "init.svc.adbd": "running", "service.adb.tcp.port": "5555",
        "persist.sys.timezone": "UTC", "ro.product.locale": locale_tag(locale),
        "persist.sys.locale": locale_tag(locale), "gsm.operator.alpha": "SimTel",
    }


class VirtualAndroid:
    def __init__(self, serial: str, rng: random.Random, ui, fs: VirtualFs | None = None,
                 props: dict[str, str] | None = None, screen: tuple[int, int] = (1080, 2400),
                 clock: Callable[[], float] = time.time, on_reboot: Callable[[], None] | None = None,
                 dump_seconds=(1.0, 3.0), idle_fail_rate: float = 0.7):
        self.serial = serial
        self.rng = rng
        self.ui = ui
        self.ui_lock = threading.RLock()
        self.fs = fs or VirtualFs(clock)
        self.props = props or make_props(serial, rng)
        self.screen = screen
        self.clock = clock
        self.on_reboot = on_reboot
        self.settings: dict[tuple[str, str], str] = dict(SETTINGS_DEFAULTS)
        self.hot_temperature: float | None = None   # the "hot" fault, degrees C
        self.command_log: list[str] = []
        self.dumper = UiDumper(self, random.Random(rng.getrandbits(64)), dump_seconds, idle_fail_rate)
        self.package_manager = PackageManager(self)
        self.media = MediaIndex(self)
        self._log_lock = threading.Lock()
        self._battery_start = clock()
        self._level0 = rng.randint(35, 92)
        self._temp0 = rng.uniform(27.0, 33.0)
        self._temp_phase = rng.uniform(0, 2 * math.pi)
        self.commands: dict[str, Callable[[list[str], IO], int]] = {
            "getprop": self._getprop, "setprop": self._setprop, "pm": self.package_manager.pm,
            "cmd": self._cmd, "am": self._am, "monkey": self._monkey, "input": self._input,
            "uiautomator": self.dumper.run, "content": self.media.content,
            "screencap": self._screencap, "dumpsys": self._dumpsys, "settings": self._settings,
            "wm": self._wm, "ime": self._ime, "id": self._id, "whoami": lambda argv, io: _say(io, "shell"),
            "logcat": lambda argv, io: 0, "reboot": self._reboot, "date": self._date,
            "uname": lambda argv, io: _say(io, "Linux"), "which": self._which,
            **Toybox(self.fs).commands(),
        }

    # -- entry point
    def run(self, line: str, shell: Shell | None = None) -> tuple[bytes, int]:
        """One `sh -c LINE` (or one line of an interactive session's `shell`)."""
        with self._log_lock:
            self.command_log.append(line)
        return (shell or self.new_shell()).run(line)

    def new_shell(self) -> Shell:
        return Shell(self._lookup, self._read_file, self._write_file,
                     env={"PATH": "/product/bin:/apex/com.android.runtime/bin:/system/bin:/system/xbin",
                          "HOME": "/", "ANDROID_DATA": "/data", "EXTERNAL_STORAGE": "/sdcard",
                          "HOSTNAME": self.props["ro.product.device"], "USER": "shell"},
                     name="sh",  # toybox-style "sh: foo: not found"
                     stat=self._stat)

    def _stat(self, path: str, cwd: str) -> tuple[str, int] | None:
        entry = self.fs.stat(path, cwd)
        if entry is None:
            return None
        return ("dir" if entry.is_dir else "file"), entry.size

    def _lookup(self, name: str) -> CommandFn | None:
        return self.commands.get(posixpath.basename(name) if name.startswith("/system/") else name)

    def _read_file(self, path: str, cwd: str) -> bytes:
        return self.fs.read(path, cwd)

    def _write_file(self, path: str, data: bytes, append: bool, cwd: str) -> None:
        self.fs.write(path, data, append=append, cwd=cwd)

    def packages(self) -> list[str]:
        with self.ui_lock:
            return sorted(self.ui.packages())

    def battery(self) -> dict[str, int]:
        elapsed = self.clock() - self._battery_start
        level = min(100, self._level0 + int(elapsed / 90))  # charging on USB, about 1 % per 90 s
        temperature = (self._temp0 + 1.5 * math.sin(elapsed / 300 + self._temp_phase)
                       + self.rng.uniform(-0.2, 0.2))
        if self.hot_temperature is not None:
            temperature = self.hot_temperature
        return {"level": level, "temperature": round(temperature * 10),
                "status": 5 if level >= 100 else 2, "voltage": 3700 + level * 5}

    # -- commands
    def _getprop(self, argv, io):
        if len(argv) == 1:
            io.out.write("".join(f"[{k}]: [{v}]\n" for k, v in sorted(self.props.items())))
        else:
            io.out.write(self.props.get(argv[1], argv[2] if len(argv) > 2 else "") + "\n")
        return 0

    def _setprop(self, argv, io):
        if len(argv) != 3:
            io.err.write("setprop: Need 2 arguments\n")
            return 1
        if argv[1].startswith("ro."):
            io.err.write(f"Failed to set property '{argv[1]}' to '{argv[2]}'.\n")
            return 1
        self.props[argv[1]] = argv[2]
        return 0

    def _cmd(self, argv, io):
        if len(argv) > 1 and argv[1] == "package":
            return self.package_manager.pm(["pm", *argv[2:]], io)
        io.err.write(f"cmd: Can't find service: {argv[1] if len(argv) > 1 else ''}\n")
        return 20

    def _am(self, argv, io):
        sub = argv[1] if len(argv) > 1 else ""
        opts = _intent_options(argv[2:])
        if sub in ("start", "start-activity"):
            with self.ui_lock:
                if opts["action"] in SEND_ACTIONS:  # the share sheet's intent
                    stream = opts["extras"].get("android.intent.extra.STREAM", "")
                    text = self.ui.share_intent(opts.get("package"), [stream] if stream else [])
                elif opts["data"] and (opts["action"] in (None, "android.intent.action.VIEW")):
                    text = self.ui.view_intent(opts["data"])
                else:
                    component = opts["component"]
                    if component is None:
                        io.err.write("Error: Intent does not match any activities\n")
                        return 1
                    package, _, activity = component.partition("/")
                    if opts["stop"]:
                        self.ui.force_stop(package)
                    text = self.ui.start_activity(package, activity or None)
            _say(io, text)
            if "Error" in text:
                return 1
            if opts["wait"]:  # -W: what am prints once the activity has drawn
                _say(io, "Status: ok\nLaunchState: COLD\nActivity: "
                         f"{opts['component'] or 'com.android.chrome/.Main'}\n"
                         "TotalTime: 312\nWaitTime: 318\nComplete")
            return 0
        if sub == "force-stop" and opts["rest"]:
            with self.ui_lock:
                self.ui.force_stop(opts["rest"][0])
            return 0
        if sub == "broadcast":
            if opts["action"] == SCAN_ACTION:  # the media index, not the app, answers this one
                return self.media.broadcast(opts["data"], io)
            extras = dict(opts["extras"])
            if opts["data"]:
                extras["data"] = opts["data"]  # the ui's convention for -d
            with self.ui_lock:
                text = self.ui.broadcast(opts["action"] or "", extras)
            _say(io, text)
            return 0
        if sub in ("kill", "kill-all", "stack", "set-debug-app", "clear-debug-app"):
            return 0
        io.err.write(f"Error: unknown command '{sub}'\n")
        return 1

    def _monkey(self, argv, io):
        package = argv[argv.index("-p") + 1] if "-p" in argv[:-1] else None
        if package is None or package not in self.packages():
            io.out.write("** No activities found to run, monkey aborted.\n")
            return 252
        with self.ui_lock:
            self.ui.start_activity(package, None)
        io.out.write(f"  bash arg: -p\n  bash arg: {package}\nEvents injected: 1\n"
                     "## Network stats: elapsed time=12ms (0ms mobile, 0ms wifi, 12ms not connected)\n")
        return 0

    def _input(self, argv, io):
        args = argv[1:]
        if args and args[0] in ("touchscreen", "touchpad", "keyboard", "mouse", "dpad", "stylus", "gamepad"):
            args = args[1:]
        sub, rest = (args[0], args[1:]) if args else ("", [])
        try:
            with self.ui_lock:
                if sub == "tap" and len(rest) == 2:
                    self.ui.tap(int(float(rest[0])), int(float(rest[1])))
                elif sub in ("swipe", "draganddrop") and len(rest) in (4, 5):
                    x1, y1, x2, y2 = (int(float(v)) for v in rest[:4])
                    self.ui.swipe(x1, y1, x2, y2, int(rest[4]) if len(rest) == 5 else 300)
                elif sub == "text" and rest:
                    # Like Android's InputShellCommand: only the first argument is typed ("%s" = space).
                    self.ui.input_text(rest[0])
                elif sub == "keyevent" and rest:
                    for code in rest:
                        if not code.startswith("--"):
                            self.ui.keyevent(code)
                else:
                    io.err.write("Error: Unknown command: " + (sub or "(none)")
                                 + "\nUsage: input [<source>] <command> [<arg>...]\n")
                    return 1
        except ValueError:
            io.err.write(f"Error: Invalid arguments for command: {sub}\n")
            return 1
        return 0

    def _screencap(self, argv, io):
        with self.ui_lock:
            png = self.ui.screencap_png()
        paths = [a for a in argv[1:] if not a.startswith("-")]
        if paths:
            try:
                self.fs.write(paths[0], png, cwd=io.shell.cwd)
            except FsError as exc:
                io.err.write(f"Error opening file: {paths[0]} ({exc})\n")
                return 1
        else:
            io.out.write(png)
        return 0

    def _dumpsys(self, argv, io):
        service = argv[1] if len(argv) > 1 else ""
        if service == "battery":
            b = self.battery()
            io.out.write(
                "Current Battery Service state:\n  AC powered: false\n  USB powered: true\n"
                "  Wireless powered: false\n  Max charging current: 500000\n"
                f"  Max charging voltage: 5000000\n  Charge counter: {b['level'] * 40000}\n"
                f"  status: {b['status']}\n  health: 2\n"
                f"  present: true\n  level: {b['level']}\n  scale: 100\n  voltage: {b['voltage']}\n"
                f"  temperature: {b['temperature']}\n  technology: Li-ion\n")
            return 0
        if service in ("window", "activity"):
            with self.ui_lock:
                package, activity = self.ui.foreground()
            short = activity[len(package):] if activity.startswith(package + ".") else activity
            if service == "window":
                io.out.write(f"  mCurrentFocus=Window{{4f2a1c0 u0 {package}/{activity}}}\n"
                             f"  mFocusedApp=ActivityRecord{{9e1b7d2 u0 {package}/{short} t42}}\n")
            elif argv[2:3] == ["top"]:
                io.out.write(f"TASK {package} id=42 userId=0\n"
                             f"  ACTIVITY {package}/{short} 9e1b7d2 pid=4321\n")
            elif argv[2:3] in (["activities"], ["a"]):
                io.out.write(f"    mResumedActivity: ActivityRecord{{9e1b7d2 u0 {package}/{short} t42}}\n"
                             f"  ResumedActivity: ActivityRecord{{9e1b7d2 u0 {package}/{short} t42}}\n")
            return 0
        if service == "package":
            return self.package_manager.dumpsys(argv, io)
        if service == "power":
            io.out.write("POWER MANAGER (dumpsys power)\n  mWakefulness=Awake\n  mStayOn=true\n"
                         "  Display Power: state=ON\n")
            return 0
        if service == "input_method":
            return self._dumpsys_input_method(io)
        if service in ("display", "meminfo", "cpuinfo"):
            return 0  # real phones print pages here; nothing the simulator can stand behind
        io.err.write(f"Can't find service: {service}\n")
        return 0

    def _dumpsys_input_method(self, io) -> int:
        with self.ui_lock:
            shown = bool(self.ui.keyboard_shown())
            package, activity = self.ui.foreground()
        method = self.settings[("secure", "default_input_method")]
        io.out.write(
            "Current Input Method Manager state:\n  Input Methods: mMethodMapUpdateCount=3\n"
            + "".join(f"  InputMethod #{i}:\n    mId={ime}\n" for i, ime in enumerate(self._enabled_imes()))
            + f"  mCurMethodId={method}\n  mCurFocusedWindow=Window{{4f2a1c0 u0 {package}/{activity}}}\n"
            f"  mCurFocusedWindowSoftInputMode=STATE_UNSPECIFIED|ADJUST_RESIZE\n"
            f"  mSystemReady=true mInteractive=true\n"
            f"  mShowRequested={str(shown).lower()} mShowExplicitlyRequested=false mShowForced=false\n"
            f"  mInputShown={str(shown).lower()}\n")
        return 0

    def _enabled_imes(self) -> list[str]:
        return [i for i in self.settings[("secure", "enabled_input_methods")].split(":") if i]

    def _settings(self, argv, io):
        args = [a for a in argv[1:] if not a.startswith("--")]
        if len(args) >= 2 and args[1] not in ("system", "secure", "global"):
            io.err.write(f"Invalid namespace '{args[1]}'\n")
            return 255
        if args[:1] == ["get"] and len(args) == 3:
            io.out.write(self.settings.get((args[1], args[2]), "null") + "\n")
            return 0
        if args[:1] == ["put"] and len(args) >= 4:
            self.settings[(args[1], args[2])] = args[3]
            return 0
        if args[:1] == ["delete"] and len(args) == 3:
            deleted = self.settings.pop((args[1], args[2]), None) is not None
            io.out.write(f"Deleted {int(deleted)} rows\n")
            return 0
        if args[:1] == ["list"] and len(args) == 2:
            for (namespace, key), value in sorted(self.settings.items()):
                if namespace == args[1]:
                    io.out.write(f"{key}={value}\n")
            return 0
        io.err.write("usage:  settings [--user <USER_ID> | current] get namespace key\n")
        return 255

    def _wm(self, argv, io):
        if argv[1:2] == ["size"]:
            width, height = self.screen
            io.out.write(f"Physical size: {width}x{height}\n")
        elif argv[1:2] == ["density"]:
            io.out.write("Physical density: 420\n")
        else:
            io.err.write("Unknown command\n")
            return 1
        return 0

    def _ime(self, argv, io):
        if argv[1:2] == ["set"] and len(argv) == 3:
            if argv[2] not in self._enabled_imes():
                io.err.write(f"Unknown input method {argv[2]} cannot be selected for user #0\n")
                return 255
            self.settings[("secure", "default_input_method")] = argv[2]
            io.out.write(f"Input method {argv[2]} selected for user #0\n")
            return 0
        if argv[1:2] == ["list"]:
            for ime in self.settings[("secure", "enabled_input_methods")].split(":"):
                io.out.write(ime + "\n")
            return 0
        if argv[1:2] in (["enable"], ["disable"]) and len(argv) == 3:
            enabled = ([i for i in self._enabled_imes() if i != argv[2]]
                       + ([argv[2]] if argv[1] == "enable" else []))
            self.settings[("secure", "enabled_input_methods")] = ":".join(enabled)
            state = "now enabled" if argv[1] == "enable" else "now disabled"
            io.out.write(f"Input method {argv[2]}: {state}\n")
            return 0
        io.err.write("usage: ime [list|set|enable|disable] ...\n")
        return 1

    def _id(self, argv, io):
        io.out.write("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),"
                     "1015(sdcard_rw),1028(sdcard_r),3001(net_bt_admin),3002(net_bt),3003(inet) "
                     "context=u:r:shell:s0\n")
        return 0

    def _date(self, argv, io):
        if len(argv) > 1 and argv[1] == "+%s":
            io.out.write(f"{int(self.clock())}\n")
        else:
            io.out.write(time.strftime("%a %b %d %H:%M:%S UTC %Y\n", time.gmtime(self.clock())))
        return 0

    def _which(self, argv, io):
        status = 0
        for name in argv[1:]:
            if name in self.commands:
                io.out.write(f"/system/bin/{name}\n")
            else:
                status = 1
        return status

    def _reboot(self, argv, io):
        if self.on_reboot is not None:
            threading.Timer(0.05, self.on_reboot).start()
        return 0


def _say(io: IO, text: str) -> int:
    if text:
        io.out.write(text if text.endswith("\n") else text + "\n")
    return 0


def _intent_options(args: list[str]) -> dict:
    """Parse `am` intent arguments: -n -a -d -c -f -S -W and the --es/--ei/--ez/--el/--ef extras."""
    opts: dict = {"component": None, "action": None, "data": None, "extras": {}, "stop": False, "wait": False,
                  "rest": []}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-n", "-a", "-d", "-c", "-f", "-t", "--user", "-p") and i + 1 < len(args):
            key = {"-n": "component", "-a": "action", "-d": "data", "-p": "package",
                   "-t": "type"}.get(arg)
            if key:
                opts[key] = args[i + 1]
            i += 2
        elif arg in ("--es", "--ei", "--ez", "--el", "--ef", "--eu", "--esa") and i + 2 < len(args):
            opts["extras"][args[i + 1]] = args[i + 2]
            i += 3
        elif arg in ("-S", "-W"):
            opts["stop" if arg == "-S" else "wait"] = True
            i += 1
        elif arg.startswith("-"):
            i += 1
        else:
            if "/" in arg and opts["component"] is None and not arg.startswith(("http", "file:")):
                opts["component"] = arg
            opts["rest"].append(arg)
            i += 1
    return opts
