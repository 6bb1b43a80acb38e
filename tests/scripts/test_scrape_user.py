"""scrape_user through the Local API on simulated phones: the followers / following of a target
(scrolled) and a keyword's users, up to max_count, stored with the task and returned by
GET /task/{id} as `results`; bad configs are 40001 naming the field."""

import pytest

from appliance.sim.app.social import people

from .phonehub import COMPLETED, run_tasks


def world(hub):
    sim = hub.sim(hub.serials[0])
    with sim.android.ui_lock:
        return sim.ui.app.world


@pytest.mark.parametrize("kind,locale", [("followers", "en"), ("following", "fr")])
def test_a_list_is_read_in_order_up_to_max_count(phone_hub, kind, locale):
    hub = phone_hub(1, locale=locale)
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "scrape_user",
                              "script_config": {"target_user": "@dancer_42",
                                                "scrape_type": kind, "max_count": 25}})
    assert task["status"] == COMPLETED, task["remark"]
    expected = people(world(hub), "dancer_42", kind)[:25]
    assert len(expected) >= 10
    results = hub.task(task["id"])["results"]
    assert results["scrape_type"] == kind and results["target"] == "dancer_42"
    assert [u["username"] for u in results["users"]] == expected
    w = world(hub)
    assert [u["nickname"] for u in results["users"]] == [w.user(n).nickname for n in expected]
    assert task["remark"] == f"scraped {len(expected)} {kind} of @dancer_42"
    assert all(line["level"] != "results" for line in hub.task(task["id"])["logs"])


def test_a_whole_list_ends_when_a_swipe_shows_nothing_new(phone_hub):
    hub = phone_hub(1)
    w = world(hub)
    name = next(u for u in (f"list_{i}" for i in range(200))
                if 12 < len(people(w, u, "following")) < 60)
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "scrape_user",
                              "script_config": {"target_users": [name], "scrape_type":
                                                "following", "max_count": 5000}}, timeout=120)
    assert task["status"] == COMPLETED, task["remark"]
    assert [u["username"] for u in hub.task(task["id"])["results"]["users"]] == \
        people(w, name, "following")


def test_keyword_search_users(phone_hub):
    hub = phone_hub(1)
    w = world(hub)
    keyword = next(iter(w.users))[:3]
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "scrape_user",
                              "script_config": {"scrape_type": "keyword", "keyword": keyword,
                                                "max_count": 4}})
    assert task["status"] == COMPLETED, task["remark"]
    expected = [u.username for u in w.search_users(keyword)][:4]
    assert [u["username"] for u in hub.task(task["id"])["results"]["users"]] == expected


def test_bad_scrape_configs_are_40001_naming_the_field(phone_hub):
    hub = phone_hub(1)
    for config, field in (({}, "target_users"), ({"scrape_type": "keyword"}, "keyword"),
                          ({"target_user": "a", "max_count": 0}, "max_count"),
                          ({"target_user": "a", "scrape_type": "likes"}, "scrape_type")):
        status, answer = hub.call("POST", "/task", {"serials": hub.serials,
                                                    "script_name": "scrape_user",
                                                    "script_config": config})
        assert (status, answer["code"]) == (400, 40001), answer
        assert answer["data"]["field"] == f"script_config.{field}", answer


def test_cli_prints_the_results_as_csv(phone_hub):
    import csv
    from pathlib import Path

    from tests.fixtures import Cli

    hub = phone_hub(1)
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "scrape_user",
                              "script_config": {"target_user": "chef.lu", "max_count": 3}})
    assert task["status"] == COMPLETED, task["remark"]
    cli = Cli(Path(hub.handle.config.state_dir), hub.handle.server.port)
    out = cli("tasks", "results", str(task["id"]), "--csv")
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(out.output.splitlines()))
    users = hub.task(task["id"])["results"]["users"]
    assert [r["username"] for r in rows] == [u["username"] for u in users] and len(rows) == 3
    assert [r["nickname"] for r in rows] == [u["nickname"] for u in users]
    (like,) = run_tasks(hub, {"serials": hub.serials, "script_name": "like", "script_config": {
        "target_post_url": "https://www.tiktok.com/@chef.lu/video/7111111111111111111"}})
    none = cli("tasks", "results", str(like["id"]), "--csv")
    assert none.exit_code == 1 and "holds no results" in none.output
