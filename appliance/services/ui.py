"""Reading a UI dump for operators (`appliance ui locate`): which screen it shows, where each
control is. Owns the check that a text is a uiautomator dump; the locating itself belongs to the
scripts (`appliance.scripts.locate`). No state; the caller's thread.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from appliance.errors import InvalidParams
from appliance.scripts.locate import locate


def check_dump(xml: str, name: str = "the dump") -> None:
    """Raise InvalidParams unless `xml` is XML holding a uiautomator <hierarchy>."""
    if not xml.strip():
        raise InvalidParams(f"{name} is empty: save a screen with "
                            "`appliance devices dump SERIAL -o screen.xml` first.")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise InvalidParams(f"{name} is not XML ({exc}): give a file saved by "
                            "`appliance devices dump SERIAL -o screen.xml`.") from None
    if root.tag != "hierarchy" and root.find(".//hierarchy") is None:
        raise InvalidParams(f"{name} is XML but not a uiautomator dump (no <hierarchy>, its root "
                            f"is <{root.tag}>): give a file saved by "
                            "`appliance devices dump SERIAL -o screen.xml`.")


def locate_screen(xml: str) -> dict[str, Any]:
    """`{"screen": NAME | None, "controls": {CONTROL: [x1, y1, x2, y2] | None, ...}}`."""
    return locate(xml)
