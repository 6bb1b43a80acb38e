"""`match_account`: read the accounts logged in on a phone's app and bind them to that phone.

Steps: cold-start the app -> Profile tab -> tap the top-centre header -> the "Switch account"
sheet -> read every row's name (and the current one: selected row, else the header) -> BACK ->
hand the names to the account registry (`bind`, injected at wiring: device=serial,
logged_in=True; accounts bound here but no longer logged in get logged_in=False). Runs on an
engine worker thread; `bind` takes the store lock itself.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.scripts.accounts import logged_in_accounts
from appliance.scripts.app_script import AppScript
from appliance.scripts.ui import Ui

SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
          "properties": {}, "additionalProperties": True}


class MatchAccount(AppScript):
    name = "match_account"
    schema = SCHEMA

    def __init__(self, bind: Callable[[str, list[str]], dict] | None = None):
        self.bind = bind

    def act(self, ctx, ui: Ui) -> str:
        names, current = logged_in_accounts(ui)
        ctx.log(f"logged in on the phone: {', '.join('@' + n for n in names)} "
                f"(current @{current})")
        if self.bind is None:
            return f"found {len(names)} account(s); no account registry to bind them to"
        result = self.bind(ctx.serial, names)
        ctx.log(f"bound to {ctx.serial}: created {result.get('created', [])}, "
                f"updated {result.get('updated', [])}, logged out {result.get('logged_out', [])}")
        return (f"bound {len(names)} account(s) to {ctx.serial}: "
                + ", ".join("@" + n for n in names))
