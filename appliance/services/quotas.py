"""The fleet's device limit, split into per-hub quotas by the gateway (issue 17).

`allocate()` is the pure rule; `Quotas` holds the table (persisted in `state_dir/fleet-quotas.json`),
publishes each hub's retained `quota {limit, epoch}` and rebalances toward hubs with work: it
lowers first and raises another hub only once the lowered hub's stats acknowledge the new epoch
with no more phones running than its new quota. A hub that is not UP keeps its quota. The sum
never exceeds the plan's limit. `tick()` runs on the gateway's quota thread; `republish()` on
paho's thread at every connect; one lock guards the table.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.services.fleet_view import FleetView, HubState
from appliance.services.statefiles import write_atomic

log = logging.getLogger("appliance.gateway")

QUOTA_FILE = "fleet-quotas.json"


def _int(value: Any, default: int) -> int:
    """A hub's stats field as an int; `default` for anything else (null, text, a bool)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _spread(amount: int, weights: dict[int, int]) -> dict[int, int]:
    """`amount` split in proportion to `weights` (largest remainders; equal split when all 0)."""
    if not weights or amount <= 0:
        return dict.fromkeys(weights, 0)
    total = sum(weights.values())
    if total == 0:
        weights = dict.fromkeys(weights, 1)
        total = len(weights)
    shares = {n: amount * w // total for n, w in weights.items()}
    rest = amount - sum(shares.values())
    order = sorted(weights, key=lambda n: (-(amount * weights[n] % total), n))
    for n in order[:rest]:
        shares[n] += 1
    return shares


def allocate(limit: int, phones: dict[int, int], demand: dict[int, int],
             fixed: dict[int, int]) -> dict[int, int]:
    """Quotas for the hubs of `phones` (UP hubs: phones each, demand = phones it could use now)
    given `fixed` (hubs that keep their quota: not UP). Demand first (water-filling, never more
    than a hub's phones), then what is left in proportion to phones. Sum <= limit."""
    free = max(0, limit - sum(fixed.values()))
    out = dict.fromkeys(phones, 0)
    want = {n: min(demand.get(n, 0), phones[n]) for n in phones}
    while free > 0:
        hungry = {n: want[n] - out[n] for n in phones if want[n] > out[n]}
        if not hungry:
            break
        share = max(1, free // len(hungry))
        for n in sorted(hungry):
            give = min(share, hungry[n], free)
            out[n] += give
            free -= give
            if free == 0:
                break
    room = {n: phones[n] - out[n] for n in phones if phones[n] > out[n]}
    if free > 0 and room:
        extra = _spread(min(free, sum(room.values())), room)
        for n, give in extra.items():
            out[n] += min(give, room[n])
    return {**out, **fixed}


class Quotas:
    def __init__(self, state_dir: Path, view: FleetView, limit: Callable[[], int],
                 publish: Callable[[int, dict[str, int]], bool]):
        self.path = Path(state_dir) / QUOTA_FILE
        self.view = view
        self.limit = limit
        self.publish = publish
        self._lock = threading.Lock()
        self.epoch = 0
        self.quotas: dict[int, int] = {}
        self.epochs: dict[int, int] = {}
        # Hubs lowered and not yet acknowledged: the old (higher) quota still counts.
        self.pending: dict[int, int] = {}
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("fleet quotas not read from %s (%s); starting from none", self.path, exc)
            return
        self.epoch = int(data.get("epoch", 0))
        hubs = data.get("hubs", {})
        self.quotas = {int(n): int(h["limit"]) for n, h in hubs.items()}
        self.epochs = {int(n): int(h["epoch"]) for n, h in hubs.items()}
        self.pending = {int(n): int(v) for n, v in data.get("pending", {}).items()}

    def _save(self) -> None:
        hubs = {str(n): {"limit": q, "epoch": self.epochs.get(n, 0)}
                for n, q in sorted(self.quotas.items())}
        pending = {str(n): v for n, v in self.pending.items()}
        write_atomic(self.path, json.dumps({"epoch": self.epoch, "hubs": hubs,
                                            "pending": pending}, indent=1) + "\n", mode=0o644)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"epoch": self.epoch,
                    "hubs": [{"hub": n, "limit": q, "epoch": self.epochs.get(n, 0),
                              "lowering_from": self.pending.get(n)}
                             for n, q in sorted(self.quotas.items())]}

    def republish(self) -> None:
        """Every hub's current quota again (the gateway's link (re)connected)."""
        with self._lock:
            table = [(n, {"limit": q, "epoch": self.epochs.get(n, 0)})
                     for n, q in self.quotas.items()]
        for n, message in table:
            self.publish(n, message)

    def committed(self) -> int:
        """What the hubs may run at most right now: each quota, or a lowered hub's old quota
        until it acknowledged the lower one."""
        return sum(max(q, self.pending.get(n, 0)) for n, q in self.quotas.items())

    def _acknowledge(self) -> None:
        for n in list(self.pending):
            hub = self.view.hub(n)
            stats = hub.get("stats") if hub is not None else {}
            if (_int(stats.get("quota_epoch"), -1) >= self.epochs.get(n, 0)
                    and _int(stats.get("running_phones"), 1 << 30) <= self.quotas.get(n, 0)):
                del self.pending[n]

    def tick(self) -> None:
        """One rebalance pass (quota thread). Lowers first; raises only within what is not
        committed, so the hubs' running phones never add up to more than the limit."""
        limit = self.limit()
        changed: list[tuple[int, dict[str, int]]] = []
        with self._lock:
            hubs = {h.number: h for h in self.view.hubs()}
            self._adopt(hubs)
            self._acknowledge()
            up = {n for n, h in hubs.items() if self.view.is_up(h)}
            # A hub down keeps its share; a hub never seen UP has none yet.
            fixed = {n: q for n, q in self.quotas.items() if n not in up}
            phones = {n: len(hubs[n].get("devices").get("devices") or []) for n in up}
            demand = {}
            for n in up:
                stats = hubs[n].get("stats")
                demand[n] = (max(0, _int(stats.get("running_phones"), 0))
                             + max(0, _int(stats.get("pending"), 0)))
            target = allocate(limit, phones, demand, fixed)
            if sum(fixed.values()) > limit:   # the plan shrank below what down hubs hold
                target = {n: 0 if n in up else q for n, q in target.items()}
            # Lower first (each lowering waits for its hub's acknowledgement before the
            # phones it frees are given to another hub).
            for n, want in sorted(target.items()):
                have = self.quotas.get(n)
                if have is not None and want < have and n in up:
                    self.pending[n] = max(self.pending.get(n, 0), have)
                    self._set(n, want, changed)
            # Then raise, within what is not committed.
            for n, want in sorted(target.items()):
                have = self.quotas.get(n)
                if n not in up or (have is not None and want <= have):
                    continue
                room = limit - self.committed()
                grant = min(want, (have or 0) + max(0, room))
                if have is None or grant > have:
                    self._set(n, grant, changed)
            if changed:
                self._save()
        for n, message in changed:
            self.publish(n, message)

    def _adopt(self, hubs: dict[int, HubState]) -> None:
        """A hub that runs under a quota this table does not hold (the quota file was lost, or
        another gateway set it): take it as it is, so the sum still counts it, and keep epochs
        above every one a hub has seen."""
        for n, hub in hubs.items():
            stats = hub.get("stats")
            limit, epoch = stats.get("quota_limit"), stats.get("quota_epoch")
            limit, epoch = _int(limit, -1), _int(epoch, -1)
            self.epoch = max(self.epoch, epoch)
            if n not in self.quotas and limit >= 0 and epoch >= 0:
                self.quotas[n], self.epochs[n] = limit, epoch
                log.info("hub %d runs under quota %d (epoch %d) the gateway did not know; kept",
                         n, limit, epoch)

    def seed(self, hub: int, payload: Any) -> None:
        """A retained `quota` of hub `hub` as the broker holds it (the gateway's own earlier
        publication; paho's thread, at every subscribe). It fills a hub the table does not
        hold (the quota file was lost: the stats that would tell expire after 60 s while the
        hub is down), and wins over an older epoch; epochs continue above every one seen."""
        if not isinstance(payload, dict):
            return
        limit, epoch = _int(payload.get("limit"), -1), _int(payload.get("epoch"), -1)
        if limit < 0 or epoch < 0:
            return
        with self._lock:
            self.epoch = max(self.epoch, epoch)
            if hub in self.quotas and self.epochs.get(hub, 0) >= epoch:
                return
            self.quotas[hub], self.epochs[hub] = limit, epoch
            self._save()
        log.info("hub %d quota %d (epoch %d) taken from the broker's retained message",
                 hub, limit, epoch)

    def _set(self, n: int, limit: int, changed: list[tuple[int, dict[str, int]]]) -> None:
        self.epoch += 1
        self.quotas[n] = limit
        self.epochs[n] = self.epoch
        changed.append((n, {"limit": limit, "epoch": self.epoch}))
        log.info("hub %d quota %d (epoch %d)", n, limit, self.epoch)
