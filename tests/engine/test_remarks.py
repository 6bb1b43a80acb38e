"""Failure remarks (security review): what an API caller reads about a crashed script names the
problem and the file, never the hub's own paths."""

import threading
from types import SimpleNamespace

from appliance.engine.runner import remark_for


def run():
    return SimpleNamespace(cancel=threading.Event(), reason=None, serial="A1", phone_gone=False)


def test_os_error_remark_names_the_file_not_the_hubs_path():
    try:
        with open("/var/lib/appliance-secret-place/media/clip.mp4", "rb"):
            pass
    except OSError as exc:
        remark = remark_for(exc, run(), "post")
    assert "clip.mp4" in remark and "No such file" in remark
    assert "/var/lib" not in remark and "appliance-secret-place" not in remark


def test_other_crashes_keep_their_type_and_text():
    remark = remark_for(ZeroDivisionError("division by zero"), run(), "follow")
    assert remark == "script follow failed: ZeroDivisionError: division by zero"
