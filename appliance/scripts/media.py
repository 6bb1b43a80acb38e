"""Media for the post script on the phone: pre-grant the app's media permissions, push files to
/sdcard/DCIM/hub-<task id>/ (md5 checked), `touch` and media-scan them newest-first-in-order (the
gallery lists newest first, so the first file lands in the first tile), and clean up (files
removed and re-scanned, even when the task was stopped). Runs on the task's worker thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from appliance.devices import quote
from appliance.errors import DeviceCommandFailed

SCAN = "android.intent.action.MEDIA_SCANNER_SCAN_FILE"
PERMISSIONS = ("android.permission.READ_MEDIA_VIDEO", "android.permission.READ_MEDIA_IMAGES")


def storage_path(remote: str) -> str:
    """/sdcard/... as /storage/emulated/0/... (MediaStore may refuse the /sdcard symlink)."""
    return "/storage/emulated/0/" + remote[len("/sdcard/"):] if remote.startswith("/sdcard/") else remote


def scan_commands(remote: str) -> list[str]:
    path = storage_path(remote)
    return [f"am broadcast -a {SCAN} -d {quote('file://' + path)}",
            f"content call --uri content://media --method scan_file --arg {quote(path)}"]


def pregrant(ctx, package: str) -> None:
    """Grant the app read access to videos and photos (Android 13+) so the gallery opens
    without the permission window; a failure is only logged (older Android, no such perm)."""
    for perm in PERMISSIONS:
        out = ctx.shell(f"pm grant {quote(package)} {perm} 2>&1")
        if any(word in out for word in ("Exception", "rror", "not a changeable", "nknown")):
            ctx.log(f"pm grant {perm.rsplit('.', 1)[-1]} did not apply: {out.strip()[:120]}")


def push(ctx, media: list[Path], remote_dir: str, pushed: list[str]) -> None:
    """Push each file (size checked by the sync protocol) and check its md5 on the phone."""
    ctx.shell(f"mkdir -p {quote(remote_dir)}")
    for path in media:
        remote = f"{remote_dir}/{path.name}"
        digest = hashlib.md5(path.read_bytes()).hexdigest()
        ctx.check()
        size = ctx.client.push(ctx.serial, path, remote, timeout=max(10.0, ctx.remaining()),
                               cancel=ctx.cancel)
        pushed.append(remote)
        out = ctx.shell(f"md5sum {quote(remote)}")
        if out.split()[:1] != [digest]:
            raise DeviceCommandFailed(f"step 'push the media' failed: {path.name} arrived "
                                      f"damaged on phone {ctx.serial} (md5 {out[:40]!r}); "
                                      "check the phone's storage and retry the task")
        ctx.log(f"pushed {path.name} ({size} bytes, md5 checked) to {remote}")


def touch_and_scan(ctx, pushed: list[str]) -> None:
    """adb push keeps the source's old mtime (the file would sort last): touch each file and
    index it, the LAST file first, so the first file is the newest and sits in the first tile."""
    for remote in reversed(pushed):
        ctx.shell(f"touch {quote(remote)}")
        for command in scan_commands(remote):
            ctx.shell(command)
        ctx.sleep(0.05)
    ctx.log(f"indexed {len(pushed)} file(s) for the gallery (first file newest)")


def clean_up(ctx, remote_dir: str, pushed: list[str]) -> None:
    """Delete the pushed files even when the task was stopped (hence the client directly) and
    re-scan them, so the gallery forgets them."""
    if not pushed:
        return
    try:
        ctx.client.shell(ctx.serial, f"rm -rf {quote(remote_dir)}", timeout=10)
        for remote in pushed:
            for command in scan_commands(remote):
                ctx.client.shell(ctx.serial, command, timeout=10)
        ctx.log(f"removed the pushed media from {remote_dir}")
    except Exception as exc:  # noqa: BLE001 - a leftover file must not hide the outcome
        ctx.warn(f"could not remove the pushed media from {remote_dir}: {exc}; delete it by hand")


@contextmanager
def on_phone(ctx, files: list[Path], package: str) -> Iterator[list[str]]:
    """`files` pushed to a folder of the task's own on the phone and scanned into the gallery
    (after `package` may read them); removed and re-scanned however the block ends. Yields
    the remote paths."""
    remote_dir = f"/sdcard/DCIM/hub-{ctx.task_id}"
    pushed: list[str] = []
    try:
        pregrant(ctx, package)
        push(ctx, files, remote_dir, pushed)
        touch_and_scan(ctx, pushed)
        yield pushed
    finally:
        clean_up(ctx, remote_dir, pushed)
