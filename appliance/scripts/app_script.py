"""`AppScript`: the shape of every script that drives the short-video app (post, follow, comment,
match_account, account_warmup): cold-start the app (version logged, feed recognised, popups
dismissed), switch to the task's account, do the work, and on a failed UI step keep the screen
of that moment with the task; the task's dump count is logged at the end. Also text helpers.

Runs on an engine worker thread through the task's ScriptContext, like every Script.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from appliance.errors import InvalidParams
from appliance.scripts.accounts import ensure_account
from appliance.scripts.base import Script
from appliance.scripts.screens import on_home_feed
from appliance.scripts.ui import DEFAULT_PACKAGE, Ui, UiStepFailed

#: the level of the log line that holds a failed step's UI dump; TaskService shows it as
#: `ui_dump` in GET /task/{id} and keeps it out of `logs`.
UI_DUMP_LEVEL = "ui_dump"

EMOJIS = ["\U0001F525", "\U0001F602", "\u2764\ufe0f", "\U0001F44D", "\U0001F60D", "\U0001F64C",
          "\u2728", "\U0001F4AF"]


class AppScript(Script):
    """Subclasses implement `act(ctx, ui)`; `run` wraps it with the app start and account switch.

    `package_of(username)` (set at wiring from the account registry) names the app an account
    lives in: a clone app has its own package, and its resource ids carry that package."""

    package_of: Callable[[str], str | None] | None = None
    #: the app's package (config `app_package`), set at wiring
    package: str = DEFAULT_PACKAGE

    def run(self, ctx) -> str | None:
        return self.drive(ctx, lambda ui: self.act(ctx, ui))

    def app_package(self, ctx) -> str:
        """The app the task's account lives in (accounts' own package), else the hub's."""
        own = self.package_of(ctx.username) if ctx.username and self.package_of else None
        return own or self.package

    def drive(self, ctx, work: Callable[[Ui], str | None]) -> str | None:
        """Start the app, switch to the task's account, then `work(ui)`; a failed UI step
        leaves its screen with the task before it propagates."""
        ui = Ui(ctx, self.package)
        package = self.app_package(ctx)
        if package != ui.package:
            ctx.log(f"@{ctx.username} lives in the app {package}")
            ui.package = package
        try:
            start_app(ctx, ui)
            if ctx.username:
                ensure_account(ui, ctx.username)
            return work(ui)
        except UiStepFailed as exc:
            keep_ui_dump(ctx, exc.dump)
            raise
        finally:
            if ui.dumps:
                ctx.log(ui.summary())

    def act(self, ctx, ui: Ui) -> str | None:
        raise NotImplementedError


def start_app(ctx, ui: Ui, timeout: float = 25.0) -> None:
    """Cold start (a known state: no half-open panel from the last task), the app's version
    logged, popups dismissed, until the home feed shows."""
    ctx.log(f"app {ui.package} {ui.version()}")
    ui.stop_app()
    ui.launch()
    step = "open the app"
    screen = ui.wait_for(lambda s: s.name in ("login",) or (s.name == "feed"
                         and on_home_feed(s, ui.locale)), step, timeout=timeout, interval=0.7)
    if screen.name == "login":
        raise ui.failure(step, f"no account is logged in on phone {ctx.serial}: log one in on "
                               "the phone, then run match_account", screen)


def keep_ui_dump(ctx, dump: str) -> None:
    if dump:
        ctx.log(dump, UI_DUMP_LEVEL)


# --- text ------------------------------------------------------------------------------------


def option_lines(text: str) -> list[str]:
    """Non-empty lines of a one-option-per-line field, as given (only the line break removed)."""
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


def split_targets(items: Iterable[object] | None, text: str | None) -> list[str]:
    """Targets from a list and/or a text split on newlines or commas; order kept, duplicates once."""
    out: list[str] = []
    raw = list(items or []) + re.split(r"[\n,]", text or "")
    for item in raw:
        name = str(item).strip()
        if name and name not in out:
            out.append(name)
    return out


def list_wins(items: Iterable[object] | None, text: str | None) -> list[str]:
    """The list field if it names any target, else the text field split (TikMatrix: when both
    are given, the list wins)."""
    return split_targets(items, "") or split_targets([], text)


def bad(field: str, message: str) -> InvalidParams:
    return InvalidParams(f"Invalid parameter script_config.{field}: {message}.",
                         data={"field": f"script_config.{field}"})
