"""The app's logged-in accounts, read and switched through its UI: the own profile's top-centre
header names the current account; tapping it opens the "Switch account" sheet with one row per
account. Used by AppScript (multi-account tasks) and match_account, on the task's worker.
"""

from __future__ import annotations

import time

from appliance.scripts.anchors import is_word
from appliance.scripts.hierarchy import Node, Screen
from appliance.scripts.screens import on_home_feed
from appliance.scripts.ui import Ui, UiStepFailed


def _name(text: str) -> str:
    return text.strip().lstrip("@").strip()


def open_own_profile(ui: Ui, step: str) -> tuple[str, Screen]:
    """Profile tab -> the own profile; (current account from the header, the screen)."""
    screen = ui.look(step)
    if screen.name == "account_switcher":
        ui.back()
        screen = ui.wait_for(["profile"], step, timeout=8)
    if not (screen.name == "profile" and ui.find("nav.profile", screen) is not None):
        ui.tap_control("nav.profile", step, screen)
        screen = ui.wait_for(lambda s: s.name == "profile" and ui.find("profile.header", s)
                             is not None, step, timeout=12)
    header = ui.need("profile.header", step, screen)
    return _name(header.text), screen


def switcher_rows(ui: Ui, screen: Screen) -> list[tuple[str, Node]]:
    """(account name, its node) for every row of the open switcher sheet, top to bottom."""
    title = next((n for n in screen.nodes if is_word(n.text, "switch_account", ui.locale)), None)
    if title is None:
        return []
    skip = ["switch_account", "add_account", "cancel", "close"]
    rows = []
    for node in screen.nodes[title.index + 1:]:
        text = node.text.strip()
        if text and not is_word(text, skip, ui.locale) and node.bounds[1] >= title.bounds[1] \
                and node.kind in ("TextView", "Button") and " " not in text:
            rows.append((_name(text), node))
    return rows


def selected_row(screen: Screen, node: Node) -> bool:
    return node.selected or node.checked or any(a.selected or a.checked for a in
                                                list(screen.ancestors(node))[:2])


def open_switcher(ui: Ui, step: str, screen: Screen) -> Screen:
    ui.tap_control("profile.header", step, screen)
    return ui.wait_for(["account_switcher"], step, timeout=8)


def logged_in_accounts(ui: Ui) -> tuple[list[str], str]:
    """(every account logged in on the app, the current one); leaves the sheet closed."""
    step = "read the accounts on the phone"
    current, screen = open_own_profile(ui, step)
    sheet = open_switcher(ui, step, screen)
    rows = switcher_rows(ui, sheet)
    names = [name for name, _ in rows]
    current = next((name for name, node in rows if selected_row(sheet, node)), current)
    ui.back()   # close the sheet without switching
    ui.wait_for(lambda s: s.name != "account_switcher", step, timeout=8)
    return names or [current], current


def ensure_account(ui: Ui, username: str, timeout: float = 25.0) -> None:
    """Make `username` the current account (multi-account tasks run as their account);
    UiStepFailed when it is not logged in on this phone."""
    username = _name(username)
    step = f"switch to account @{username}"
    current, screen = open_own_profile(ui, step)
    if current.lower() == username.lower():
        ui.ctx.log(f"the app already runs as @{username}")
        return
    sheet = open_switcher(ui, step, screen)
    rows = switcher_rows(ui, sheet)
    row = next((node for name, node in rows if name.lower() == username.lower()), None)
    if row is None:
        listed = ", ".join("@" + name for name, _ in rows) or "none"
        raise ui.failure(step, f"@{username} is not logged in on this phone (logged in: "
                               f"{listed}); log it in on the phone or run match_account", sheet)
    ui.tap(row)
    deadline = time.monotonic() + timeout
    while True:
        ui.ctx.sleep(0.5)
        screen = ui.look(step)
        header = ui.find("profile.header", screen) if screen.name == "profile" else None
        if header is not None and _name(header.text).lower() == username.lower():
            break
        if time.monotonic() >= deadline:
            raise ui.failure(step, f"the app still shows "
                                   f"{('@' + _name(header.text)) if header else 'no account'} "
                                   f"{timeout:g} s after choosing @{username}", screen)
    ui.ctx.log(f"switched the app from @{current} to @{username}")


def go_home(ui: Ui, step: str = "return to the feed") -> Screen:
    """The home feed, from any screen with the nav row."""
    screen = ui.look(step)
    if screen.name == "feed" and on_home_feed(screen, ui.locale):
        return screen
    ui.tap_control("nav.home", step, screen)
    return ui.wait_for(lambda s: s.name == "feed" and on_home_feed(s, ui.locale), step, timeout=12)


__all__ = ["UiStepFailed", "ensure_account", "go_home", "logged_in_accounts", "open_own_profile"]
