"""The plan's device limit holds fleet-wide (issue 17): 3 hubs x 3 simulated phones under a fleet
plan of 5 phones, long tasks on every phone; the sum of running tasks over the hubs' own APIs,
sampled every 200 ms while the gateway moves quota between hubs, never exceeds 5.

The fleet's plan is the gateway's. Starter (5 phones) is the only plan below 20; it closes the
gateway's /api/v1, so the tasks are created through the hubs' own APIs (the quota binds whatever
the source) and the gateway is read on its operator surface (/ui/v1/fleet).
"""

from __future__ import annotations

import pytest

from appliance.domain.plans import PLANS
from appliance.services.license import set_plan
from tests.fixtures import long_warmup
from tests.fleet.faultkit import Sampler, hub_stats, ok, running_fleet, timed

pytestmark = pytest.mark.phones

HUBS = [1, 2, 3]


def quotas(kit) -> dict[int, dict]:
    """Each hub's quota as the hub itself holds it (its own /license/check)."""
    return {n: ok(kit.hub(n).api("GET", "/license/check"))["fleet"] for n in HUBS}


def gateway_quotas(kit) -> dict:
    assert kit.gateway is not None
    _, env = kit.gateway.call("GET", "/ui/v1/fleet")
    return ok(env)["quotas"]


def settled(kit, limit: int) -> bool:
    table = gateway_quotas(kit)
    held = quotas(kit)
    return (not any(h["lowering_from"] for h in table["hubs"])
            and sum(q["quota_limit"] or 0 for q in held.values()) <= limit
            and all(held[h["hub"]]["quota_epoch"] == h["epoch"] for h in table["hubs"]))


def test_running_phones_never_exceed_the_fleet_plan(broker, tmp_path):
    limit = PLANS["Starter"].device_limit
    with running_fleet(broker, tmp_path, hubs=3, phones=3, plan="Pro",
                       hub_settings={"plan": "Business"}) as kit:
        set_plan(kit.root / "gateway" / "state", "Starter")   # read live by the gateway
        timed(lambda: settled(kit, limit), 30, "quotas cut to the Starter plan")

        def probe() -> tuple[int, int]:
            stats = hub_stats(kit, HUBS)
            held = sum(q["quota_limit"] or 0 for q in quotas(kit).values())
            return sum(s["running"] for s in stats.values()), held

        body = {"script_name": "account_warmup", "script_config": long_warmup(),
                "min_interval": 0, "max_interval": 0}
        ids: dict[int, list[int]] = {}
        with Sampler(probe) as sampler:
            for n in HUBS:                   # two long tasks per phone: 18 for 9 phones
                ids[n] = []
                for _ in range(2):
                    ids[n] += ok(kit.hub(n).api("POST", "/task", {**body,
                                                                  "serials": kit.serials[n]}))["task_ids"]
            took_full = timed(lambda: sampler.values and sampler.values[-1][0] == limit, 30,
                              f"{limit} phones running")
            # hub 3's work ends: its share moves to hubs 1 and 2 (lowered first, raised after
            # hub 3 acknowledged), and they run `limit` phones between them
            for task_id in ids[3]:
                ok(kit.hub(3).api("POST", f"/task/{task_id}/stop"))
            took_move = timed(lambda: sum(s["running"] for s in hub_stats(kit, [1, 2]).values())
                              == limit, 30, "hub 3's share used by hubs 1 and 2")
            # work for hub 3 again: its share comes back only as running tasks end (never
            # preempted), so the sum stays at the limit
            ok(kit.hub(3).api("POST", "/task", {**body, "serials": kit.serials[3]}))
            n_before = len(sampler.values)
            timed(lambda: len(sampler.values) >= n_before + 30, 60, "thirty more samples")
        assert not sampler.errors, sampler.errors[:3]
        running = [r for r, _ in sampler.values]
        held = [q for _, q in sampler.values]
        print(f"samples {len(running)}, max running {max(running)}, max quota sum {max(held)}, "
              f"full after {took_full:.1f}s, share moved after {took_move:.1f}s")
        assert max(running) <= limit, running
        assert max(held) <= limit, held
