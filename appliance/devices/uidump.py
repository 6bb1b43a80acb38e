"""One `uiautomator dump` of a phone's screen, read the way the real tool behaves (facts §4.1).

The stock tool exits 0 even when it fails: it prints `ERROR: could not get idle state.` while a
video plays, or `ERROR: null root node ...`, and leaves the previous file in place. Success prints
`UI hierchary dumped to: <path>` (sic; some builds spell it `hierarchy`). So the file is removed
first and the tool's own line decides. Pure over a `shell(command) -> output` callable: the
caller's thread runs it (a script's worker, a request thread for the hierarchy route).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DUMP_PATH = "/sdcard/window_dump.xml"
IDLE_ERROR = "could not get idle state"
_DONE = ("UI hierchary dumped to:", "UI hierarchy dumped to:")


@dataclass(frozen=True)
class DumpResult:
    """`xml` is the hierarchy when the dump worked; otherwise `error` says why and `not_idle`
    tells the one failure that waiting or pausing the video cures."""

    xml: str | None
    error: str = ""
    not_idle: bool = False

    @property
    def ok(self) -> bool:
        return self.xml is not None


def dump_command(path: str = DUMP_PATH) -> str:
    """Remove the old file (a failed dump leaves it), dump, print the new file if there is one."""
    return f"rm -f {path}; uiautomator dump {path} 2>&1; cat {path} 2>/dev/null"


def parse_dump(output: str) -> DumpResult:
    """Read `dump_command`'s output."""
    if IDLE_ERROR in output[:400]:
        return DumpResult(None, "the screen never went idle (a video is playing)", True)
    start = output.find("<?xml")
    if start < 0:
        start = output.find("<hierarchy")
    end = output.rfind("</hierarchy>")
    if not any(mark in output for mark in _DONE) or start < 0 or end < start:
        line = next((ln.strip() for ln in output.splitlines() if ln.strip()), "no output")
        return DumpResult(None, f"uiautomator dump failed: {line[:200]}")
    return DumpResult(output[start:end + len("</hierarchy>")])


def dump_ui(shell: Callable[[str], str], path: str = DUMP_PATH) -> DumpResult:
    """One attempt; the caller decides whether and how to retry (pause tap, short wait)."""
    return parse_dump(shell(dump_command(path)))
