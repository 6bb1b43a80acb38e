"""A stand-in for the app (AndroidUi) exposing only what the platform calls, so the platform's
tests (dumps, media index, pm, dumpsys) do not depend on the simulated app's screens.

Plain attributes: tests flip `playing` / `keyboard` and read `scans`, `removed`, `granted`.
"""

from __future__ import annotations

PKG = "com.zhiliaoapp.musically"
VERSIONS = {1: "43.1.4", 2: "44.9.3", 3: "46.2.5"}
XML = ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
       "<node index=\"0\" text=\"\" resource-id=\"\" class=\"android.widget.FrameLayout\" "
       f"package=\"{PKG}\" bounds=\"[0,0][1080,2400]\" /></hierarchy>")


class FakeUi:
    def __init__(self, rng=None, serial="SIM", screen=(1080, 2400), accounts=None, *, app_build=1,
                 locale="en", sdk=33, package=PKG, **settings):
        self.serial, self.app_build, self.locale = serial, app_build, locale
        self.sdk, self.package = sdk, package
        self.settings = settings
        self.version_name = VERSIONS.get(app_build, f"4{app_build}.0.0")
        self.playing = False
        self.keyboard = False
        self.installed = {PKG, "com.android.adbkeyboard", "com.android.chrome", "android"}
        self.granted: set[str] = set()
        self.scans: list[tuple[str, int, float]] = []
        self.removed: list[str] = []
        self.dumps = 0

    def packages(self):
        return sorted(self.installed)

    def install(self, package):
        self.installed.add(package)

    def uninstall(self, package):
        self.installed.discard(package)

    def clear_data(self, package):
        pass

    def foreground(self):
        return self.package, "com.ss.android.ugc.aweme.main.MainActivity"

    def video_playing(self):
        return self.playing

    def keyboard_shown(self):
        return self.keyboard

    def dump_xml(self):
        self.dumps += 1
        return XML

    def media_scan(self, path, size, mtime):
        self.scans.append((path, size, mtime))

    def media_remove(self, path):
        self.removed.append(path)

    def grant(self, permission):
        self.granted.add(permission)
        return True

    def revoke(self, permission):
        self.granted.discard(permission)
        return True

    def broadcast(self, action, extras):
        return f"Broadcasting: Intent {{ act={action} flg=0x400000 }}\nBroadcast completed: result=0"

    def records(self, kind=None):
        return []


def fake_factory(rng, serial, screen, accounts, **settings):
    return FakeUi(rng, serial, screen, accounts, **settings)
