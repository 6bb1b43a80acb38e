"""Paging through the gateway (issue 17): 137 tasks spread unevenly over 3 hubs, walked page by
page at several page sizes, equal the merge of the hubs' own lists; no duplicate, no gap, exact
total on every page."""

from __future__ import annotations

import pytest

from tests.fleet.faultkit import later_start_time, ok, reference_merge, running_fleet

pytestmark = pytest.mark.phones

TOTAL = 137
# tasks per hub: uneven on purpose
SHARE = {1: 71, 2: 44, 3: 22}


def create_uneven(kit) -> None:
    """137 pending tasks (a start_time hours away keeps them pending and the order fixed): most
    through the gateway (one POST spans the hubs that still need tasks), some through a hub's
    own API (the gateway lists those too)."""
    body = {"script_name": "account_warmup", "start_time": later_start_time()}
    left = dict(SHARE)
    # a hub's own API first: hub 1 gets 9 tasks the gateway never saw created
    for _ in range(3):
        ok(kit.hub(1).api("POST", "/task", {**body, "serials": kit.serials[1]}))
        left[1] -= 3
    while any(left.values()):
        serials = []
        for n, phones in kit.serials.items():
            serials += phones[:min(left[n], len(phones))]
        data = ok(kit.gw("POST", "/task", {**body, "serials": serials}))
        for task_id in data["task_ids"]:
            left[task_id % 64] -= 1
    assert all(v == 0 for v in left.values()), left


def walk(kit, size: int) -> list[int]:
    ids: list[int] = []
    page = 0
    while page * size < TOTAL:
        page += 1
        data = ok(kit.gw("GET", f"/task?page={page}&page_size={size}"))
        assert data["total"] == TOTAL, (size, page, data["total"])
        assert not data["partial"] and data["missing_hubs"] == []
        rows = data["tasks"]
        assert len(rows) == min(size, max(0, TOTAL - (page - 1) * size)), (size, page, len(rows))
        assert all(t["hub"] == t["id"] % 64 for t in rows)
        ids += [t["id"] for t in rows]
    return ids


def test_every_page_size_walks_the_merge_of_the_hubs_own_lists(broker, tmp_path):
    with running_fleet(broker, tmp_path, hubs=3, phones=3) as kit:
        create_uneven(kit)
        reference = reference_merge(kit, [1, 2, 3])
        assert len(reference) == TOTAL == len(set(reference))
        assert {n: sum(1 for i in reference if i % 64 == n) for n in SHARE} == SHARE
        for size in (1, 7, 20, 100):
            got = walk(kit, size)
            assert len(got) == len(set(got)), f"page size {size}: duplicates"
            assert got == reference, f"page size {size}: differs from the hubs' merge"
        # past the end: an empty page, the same total
        data = ok(kit.gw("GET", "/task?page=3&page_size=100"))
        assert data["tasks"] == [] and data["total"] == TOTAL
        # a filter goes to every hub: one phone's tasks only, in the same order
        serial = kit.serials[2][0]
        data = ok(kit.gw("GET", f"/task?serial={serial}&page_size=100"))
        assert [t["id"] for t in data["tasks"]] == reference_merge(kit, [2], f"&serial={serial}")
        assert data["total"] == len(data["tasks"]) > 0
