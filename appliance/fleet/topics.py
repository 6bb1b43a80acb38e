"""Topic names and fleet-wide task ids of the fleet (pure functions, any thread).

Everything lives under `appliance/v1`: per hub `appliance/v1/hub/hub-N/<kind>`, the gateway's
response topics `appliance/v1/gw/<gateway id>/resp/hub-N`. A fleet id packs the hub number in
its low 6 bits: `fleet_id = local_id * 64 + n`.
"""

from __future__ import annotations

import re

PREFIX = "appliance/v1"
MAX_HUB = 63
_HUB_NAME = re.compile(r"hub-([1-9][0-9]?)")


def hub_name(n: int) -> str:
    """The broker user name and client id of hub `n`: `hub-N`."""
    return f"hub-{n}"


def hub_number(name: str) -> int | None:
    """N of `hub-N` (1..63), None for anything else."""
    match = _HUB_NAME.fullmatch(name)
    if match is None:
        return None
    n = int(match.group(1))
    return n if 1 <= n <= MAX_HUB else None


def hub_topic(n: int, kind: str) -> str:
    return f"{PREFIX}/hub/{hub_name(n)}/{kind}"


def status(n: int) -> str:
    return hub_topic(n, "status")


def info(n: int) -> str:
    return hub_topic(n, "info")


def devices(n: int) -> str:
    return hub_topic(n, "devices")


def accounts(n: int) -> str:
    return hub_topic(n, "accounts")


def stats(n: int) -> str:
    return hub_topic(n, "stats")


def events(n: int) -> str:
    return hub_topic(n, "events")


def request(n: int) -> str:
    return hub_topic(n, "req")


def quota(n: int) -> str:
    return hub_topic(n, "quota")


def response(gateway_id: str, n: int) -> str:
    return f"{PREFIX}/gw/{gateway_id}/resp/{hub_name(n)}"


def all_hubs(kind: str = "+") -> str:
    """A subscription filter for `kind` of every hub (`+`: every kind)."""
    return f"{PREFIX}/hub/+/{kind}"


def parse_hub_topic(topic: str) -> tuple[int, str] | None:
    """(N, kind) of `appliance/v1/hub/hub-N/<kind>`, None when the topic is not one."""
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:2]) != PREFIX or parts[2] != "hub":
        return None
    n = hub_number(parts[3])
    return None if n is None else (n, parts[4])


def parse_response_topic(topic: str) -> tuple[str, int] | None:
    """(gateway id, N) of `appliance/v1/gw/<gw>/resp/hub-N`, None otherwise."""
    parts = topic.split("/")
    if len(parts) != 6 or "/".join(parts[:2]) != PREFIX or parts[2] != "gw" or parts[4] != "resp":
        return None
    n = hub_number(parts[5])
    return None if n is None else (parts[3], n)


def fleet_id(local_id: int, n: int) -> int:
    """The fleet-wide id of hub `n`'s task `local_id`."""
    if not 1 <= n <= MAX_HUB or local_id < 1:
        raise ValueError(f"no fleet id for hub {n} task {local_id}")
    return local_id * 64 + n


def split_id(fleet: int) -> tuple[int, int]:
    """(hub number, local id) of a fleet id; ValueError when it names no hub or no task."""
    n, local = fleet % 64, fleet // 64
    if n == 0 or local < 1:
        raise ValueError(f"{fleet} is not a fleet task id")
    return n, local
