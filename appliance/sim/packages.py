"""The package manager as a shell sees it: `pm list|path|install|uninstall|clear|grant|revoke`
(also via `cmd package`) and `dumpsys package PKG`, with Android 11+ texts and exit codes.

Installed packages, the app's version and its runtime permissions live in the app (ui), read
under the phone's `ui_lock`; this module owns the permission table (which exist at which sdk) and
the grants of other packages. Runs on adbd stream threads.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
import time

P = "android.permission."
RUNTIME = {  # runtime (changeable) permissions -> first sdk that has them
    P + "READ_EXTERNAL_STORAGE": 16, P + "WRITE_EXTERNAL_STORAGE": 4, P + "CAMERA": 23,
    P + "RECORD_AUDIO": 23, P + "READ_CONTACTS": 23, P + "ACCESS_FINE_LOCATION": 23,
    P + "ACCESS_COARSE_LOCATION": 23, P + "READ_PHONE_STATE": 23, P + "READ_MEDIA_IMAGES": 33,
    P + "READ_MEDIA_VIDEO": 33, P + "READ_MEDIA_AUDIO": 33, P + "POST_NOTIFICATIONS": 33,
    P + "READ_MEDIA_VISUAL_USER_SELECTED": 34,
}
NORMAL = {P + "INTERNET", P + "ACCESS_NETWORK_STATE", P + "WAKE_LOCK", P + "VIBRATE",
          P + "FOREGROUND_SERVICE", P + "RECEIVE_BOOT_COMPLETED"}
KEYBOARD = "com.android.adbkeyboard"
STACK = ("\tat com.android.server.pm.permission.PermissionManagerServiceImpl.{}"
         "(PermissionManagerServiceImpl.java:1366)\n")


def version_code(name: str) -> int:
    """TikTok-style versionCode from a versionName: 43.1.4 -> 2024301040."""
    numbers = [int(n) for n in re.findall(r"\d+", name)[:3]] + [0, 0, 0]
    major, minor, patch = numbers[:3]
    return int(f"20{major - 19:02d}{major % 10}{minor:02d}{patch:02d}0") if major >= 20 else max(1, major)


class PackageManager:
    def __init__(self, android):
        self.android = android
        self.other_grants: dict[str, set[str]] = {}   # package -> granted permissions (not the app)

    # -- facts
    @property
    def sdk(self) -> int:
        return int(self.android.props.get("ro.build.version.sdk", "33"))

    def _app(self) -> tuple[str, str, int]:
        ui = self.android.ui
        with self.android.ui_lock:
            return ui.package, ui.version_name, ui.app_build

    def _version(self, package: str) -> tuple[str, int]:
        app, name, _ = self._app()
        if package == app:
            return name, version_code(name)
        if package != KEYBOARD and (package == "android"
                                    or package.startswith(("com.android.", "com.google."))):
            return self.android.props.get("ro.build.version.release", "13"), self.sdk  # system
        return "1.0", 1

    def code_path(self, package: str) -> str:
        app, _, build = self._app()
        seed = f"{self.android.serial}/{package}/{build if package == app else 0}"
        digest = hashlib.sha256(seed.encode()).digest()
        first, second = (base64.urlsafe_b64encode(digest[i:i + 16]).decode()[:22] for i in (0, 16))
        return f"/data/app/~~{first}==/{package}-{second}=="

    def _granted(self, package: str) -> set[str]:
        app, _, _ = self._app()
        if package != app:
            return set(self.other_grants.get(package, ()))
        with self.android.ui_lock:
            granted = set(self.android.ui.granted)
        return {g if g.startswith(P) or "." in g else P + g for g in granted}

    # -- pm
    def pm(self, argv, io) -> int:
        sub = argv[1] if len(argv) > 1 else ""
        args = [a for a in argv[2:] if not a.startswith("-")]
        packages = self.android.packages()
        if sub == "list" and args[:1] == ["packages"]:
            needle = args[1] if len(args) > 1 else ""
            for package in packages:
                if needle in package:
                    io.out.write(f"package:{package}\n")
            return 0
        if sub == "path" and args:
            if args[0] not in packages:
                return 1
            io.out.write(f"package:{self.code_path(args[0])}/base.apk\n")
            return 0
        if sub in ("grant", "revoke"):
            return self._grant(sub, args, packages, io)
        if sub == "install" and args:
            if not self.android.fs.exists(args[-1], io.shell.cwd):
                io.err.write(f"Error: Unable to open file: {args[-1]}\n"
                             "Consider using a file under /data/local/tmp/\n")
                return 1
            stem = posixpath.basename(args[-1]).rsplit(".", 1)[0]
            package = stem if "." in stem else f"com.sim.{stem}"  # no APK parsing: the name says it
            with self.android.ui_lock:
                self.android.ui.install(package)
            io.out.write("Success\n")
            return 0
        if sub in ("uninstall", "clear") and args:
            if args[0] not in packages:
                io.out.write("Failure [DELETE_FAILED_INTERNAL_ERROR]\n" if sub == "uninstall" else "Failed\n")
                return 1
            with self.android.ui_lock:
                (self.android.ui.uninstall if sub == "uninstall" else self.android.ui.clear_data)(args[0])
            self.other_grants.pop(args[0], None)
            io.out.write("Success\n")
            return 0
        if sub in ("disable-user", "enable", "trim-caches"):
            return 0
        io.err.write(f"Unknown command: {sub}\n" if sub
                     else "usage: pm [list|path|install|uninstall|clear|grant|revoke] ...\n")
        return 1

    def _grant(self, sub: str, args: list[str], packages: list[str], io) -> int:
        def fail(exception: str) -> int:
            io.err.write(f"Exception occurred while executing '{sub}':\n{exception}\n"
                         + STACK.format(f"{sub}RuntimePermissionInternal"))
            return 255

        if len(args) < 2:
            io.err.write("Error: no package specified\n" if not args else "Error: no permission specified\n")
            return 255
        package, permission = args[0], args[1]
        if package not in packages:
            return fail(f"java.lang.IllegalArgumentException: Unknown package: {package}")
        if permission in NORMAL:
            return fail(f"java.lang.SecurityException: Permission {permission} requested by {package} "
                        "is not a changeable permission type")
        if RUNTIME.get(permission, 10_000) > self.sdk:
            return fail(f"java.lang.IllegalArgumentException: Unknown permission: {permission}")
        app, _, _ = self._app()
        if package == app:
            with self.android.ui_lock:
                (self.android.ui.grant if sub == "grant" else self.android.ui.revoke)(permission)
        else:
            grants = self.other_grants.setdefault(package, set())
            grants.add(permission) if sub == "grant" else grants.discard(permission)
        return 0

    # -- dumpsys package PKG
    def dumpsys(self, argv, io) -> int:
        package = next((a for a in argv[2:] if not a.startswith("-")), None)
        if package is None:
            return 0  # the full dump is pages long: nothing the simulator stands behind
        if package not in self.android.packages():
            io.out.write(f"Dexopt state:\n  Unable to find package: {package}\n\n"
                         f"Compiler stats:\n  Unable to find package: {package}\n")
            return 0
        name, code = self._version(package)
        path = self.code_path(package)
        uid = 10000 + sum(package.encode()) % 9000
        ident = hashlib.md5(package.encode()).hexdigest()[:7]
        installed = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(1_700_000_000 + uid * 97))
        granted = self._granted(package)
        requested = [p for p, sdk in RUNTIME.items() if sdk <= self.sdk]
        io.out.write(
            f"Packages:\n  Package [{package}] ({ident}):\n    userId={uid}\n"
            f"    pkg=Package{{{ident} {package}}}\n    codePath={path}\n    resourcePath={path}\n"
            f"    legacyNativeLibraryDir={path}/lib\n    primaryCpuAbi=arm64-v8a\n    secondaryCpuAbi=null\n"
            f"    versionCode={code} minSdk=21 targetSdk={min(self.sdk, 34)}\n    versionName={name}\n"
            f"    splits=[base]\n    apkSigningVersion=2\n"
            "    flags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ALLOW_BACKUP ]\n"
            f"    timeStamp={installed}\n    firstInstallTime={installed}\n    lastUpdateTime={installed}\n"
            f"    installerPackageName=com.android.vending\n    requested permissions:\n"
            + "".join(f"      {p}\n" for p in sorted(NORMAL) + requested)
            + "    install permissions:\n" + "".join(f"      {p}: granted=true\n" for p in sorted(NORMAL))
            + f"    User 0: ceDataInode={uid * 31} installed=true hidden=false suspended=false "
              "distractionFlags=0 stopped=false notLaunched=false enabled=0 instant=false virtual=false\n"
            + "      runtime permissions:\n"
            + "".join(f"        {p}: granted={str(p in granted).lower()}, "
                      "flags=[ USER_SENSITIVE_WHEN_GRANTED ]\n"
                      for p in requested))
        return 0
