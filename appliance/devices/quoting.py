"""The one shell-quoting function for untrusted strings that go into an `adb shell` command line.

Pure function, any thread. Android's `sh` (mksh) and toybox follow POSIX quoting, so a single-quoted
word carries every byte except NUL literally: metacharacters, newlines, unicode, `$`, backslashes.
"""

from __future__ import annotations

from appliance.errors import InvalidParams


def quote(text: str) -> str:
    """Return `text` as one shell word that the phone's shell passes on byte for byte.

    Raises InvalidParams for a NUL character (no command line can carry one).
    """
    if not isinstance(text, str):
        raise InvalidParams(f"Expected text to quote, got {type(text).__name__}.")
    if "\0" in text:
        raise InvalidParams("Text for a phone's shell cannot hold a NUL character.")
    # Inside '...' nothing is special; a quote itself is closed, escaped, and reopened.
    return "'" + text.replace("'", "'\\''") + "'"
