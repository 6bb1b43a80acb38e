"""How one create request becomes tasks (docs/API.md, Fan-out), as a pure function.

Device mode: one task per device; with multi-account, one per enabled account bound to it.
Usernames mode: one task per account, on the device it is bound to. Scripts with targets
(follow, unfollow, comment) split further: one task per target per device.
Owns `account_name`, the one rule by which `@name` and `name` are the same account (usernames
of requests, script targets). Pure: called on request threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from appliance.errors import InvalidParams, NoMatchingAccount

MAX_TASKS_PER_REQUEST = 10_000


@dataclass(frozen=True)
class Slot:
    serial: str
    username: str | None


def account_name(value: str) -> str:
    """An account name as stored and compared: surrounding spaces and one leading `@` dropped
    (TikMatrix's docs write `@user1` where the app shows `user1`)."""
    name = str(value).strip()
    return name[1:] if name.startswith("@") else name


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order, duplicates dropped (docs/API.md, POST /task: duplicates count once)."""
    return list(dict.fromkeys(items))


def device_slots(serials: list[str], multi_account: bool,
                 accounts_on: Callable[[str], list[dict[str, Any]]]) -> list[Slot]:
    if not multi_account:
        return [Slot(serial, None) for serial in unique(serials)]
    slots = [Slot(serial, account["username"])
             for serial in unique(serials) for account in accounts_on(serial)]
    if not slots:
        raise NoMatchingAccount(
            "No enabled account is bound to " + ", ".join(unique(serials))
            + "; bind accounts to these devices (or run match_account) first.")
    return slots


def username_slots(usernames: list[str], account_named: Callable[[str], dict[str, Any] | None]) -> list[Slot]:
    slots = []
    for username in unique(account_name(u) for u in usernames):
        account = account_named(username)
        if account is None:
            raise InvalidParams(f"Invalid parameter usernames: unknown account {username!r}.",
                                data={"field": "usernames", "username": username})
        if account.get("enabled", True) and account.get("device"):
            slots.append(Slot(account["device"], account["username"]))
    if not slots:
        raise NoMatchingAccount("None of the given accounts is enabled and bound to a device; "
                                "enable them and bind each to its device first.")
    return slots


def expand(slots: list[Slot], configs: list[dict[str, Any]]) -> list[tuple[Slot, dict[str, Any]]]:
    """Every (slot, config) pair, refusing requests that would create too many tasks."""
    count = len(slots) * len(configs)
    if count > MAX_TASKS_PER_REQUEST:
        raise InvalidParams(f"This request would create {count} tasks; at most "
                            f"{MAX_TASKS_PER_REQUEST} can be created at once. Split it.")
    return [(slot, config) for slot in slots for config in configs]
