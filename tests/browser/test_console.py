"""The operator console in a real browser: Debian's chromium driven by Playwright, against
`appliance demo` (three simulated phones) run as a child process.

An operator creates a warm-up from the generated form and watches it complete live, stops one,
retries it, reads its log, deletes it, imports accounts from CSV and opens a phone's screen; then
the plan becomes Starter (the Local API closes) and all of it still works. Every page is
checked with axe-core at 1366 and 390 px and photographed into test-output/browser/. Skipped,
with the reason, where chromium or playwright is missing (CI installs both).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.hubkit import ROOT, call

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (pip install -e '.[test]')")
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.phones,   # a browser and a hub
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's chromium is not installed (apt-get install chromium)"),
]
expect = sync_api.expect

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
OUT = ROOT / "test-output" / "browser"
WIDTHS = (1366, 390)
PAGES = ("tasks", "phones", "accounts", "groups", "schedules", "plan")
LIVE = 20_000            # ms: how long a change may take to show without a reload
XSS = "<img src=x onerror=window.__xss=1>"


class Demo:
    """`appliance demo --fast-phones` on a free port; `url` of the hub, `serials` of its phones."""

    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "APPLIANCE_STATE_DIR": str(state_dir)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", "demo", "--phones", "3", "--port", "0",
             "--fast-phones", "--state-dir", str(state_dir)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("sample tasks"):
                text = "".join(lines)
                self.url = re.search(r"hub at (http://127\.0\.0\.1:\d+)/api/v1/", text).group(1)
                threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
                devices = call(self.url, "GET", "/ui/v1/device")[1]["data"]["devices"]
                self.serials = sorted(d["serial"] for d in devices)
                return
        self.stop()
        raise AssertionError("the demo did not start:\n" + "".join(lines))

    def api(self, method: str, path: str, body=None):
        return call(self.url, method, path, body)[1]

    def set_plan(self, plan: str) -> None:
        subprocess.run([sys.executable, "-m", "appliance", "license", "set", plan], env=self.env,
                       check=True, capture_output=True, timeout=60)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)     # Ctrl-C: the demo drains and stops its phones
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    hub = Demo(tmp_path_factory.mktemp("console") / "state")
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        # The test's own name for the hub: a Host the hub does not know needs the token.
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=["--host-resolver-rules=MAP hub.test 127.0.0.1"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, demo):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # The strict CSP (no inline script or style) holds for everything the pages do.
    tab.on("console", lambda msg: "Content Security Policy" in msg.text and errors.append(msg.text))
    tab.goto(demo.url + "/#/tasks")
    expect(tab.locator("#live")).to_have_text("● live", timeout=LIVE)
    yield tab
    context.close()
    assert not errors, f"the console threw or broke its CSP: {errors}"


def go(page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


def notice(page, pattern: str):
    expect(page.locator("#notices")).to_contain_text(re.compile(pattern), timeout=LIVE)


def task_row(page, task_id: int):
    return page.locator(f'tr[data-task="{task_id}"]')


def newest_task(page) -> int:
    return int(page.locator("tr[data-task]").first.get_attribute("data-task"))


def create_warmup(page, serial: str, duration: float, comment: str = "") -> int:
    """Fill the form generated from account_warmup's schema; returns the new task's id."""
    page.get_by_role("button", name="New task").click()
    form = page.get_by_role("dialog", name="New task")
    form.get_by_label("Script", exact=True).select_option("account_warmup")
    form.get_by_label(serial, exact=True).check()
    form.get_by_label("Task duration").fill(str(duration))
    form.get_by_label("Min duration").fill("0.2")
    form.get_by_label("Max duration").fill("0.5")
    form.get_by_label("Comment", exact=True).fill(comment)
    form.get_by_label("Shortest pause before it starts (s)").fill("0")
    form.get_by_label("Longest pause before it starts (s)").fill("0")
    before = page.locator("tr[data-task]").count() and newest_task(page)
    form.get_by_role("button", name="Create").click()
    notice(page, r"Created 1 task\(s\)")
    expect(page.locator("tr[data-task]").first).not_to_have_attribute("data-task", str(before))
    return newest_task(page)


def confirm(page, action: str) -> None:
    page.get_by_role("dialog", name="Please confirm").get_by_role("button", name=action).click()


def operate(page, demo, tmp_path, round_: str) -> None:
    """What an operator does in a shift, all from the console; each change shows live."""
    first, second = demo.serials[0], demo.serials[1]
    # A warm-up from the generated form, watched to the end without a reload.
    done = create_warmup(page, first, 2)
    expect(task_row(page, done).locator(".badge")).to_have_text("completed", timeout=60_000)
    assert demo.api("GET", f"/ui/v1/task/{done}")["data"]["source"] == "ui"

    # A long one: stop it, retry it, read its log, delete it.
    long = create_warmup(page, second, 600)
    row = task_row(page, long)
    expect(row.locator(".badge")).to_have_text("running", timeout=LIVE)
    row.get_by_role("button", name=f"Stop task {long}").click()
    expect(row.locator(".badge")).to_have_text("failed", timeout=LIVE)
    expect(row.locator("td.remark")).to_contain_text("stopped")
    row.get_by_role("button", name=f"Retry task {long}").click()
    expect(row.locator(".badge")).to_have_text(re.compile("pending|running"), timeout=LIVE)
    page.get_by_role("button", name=f"Open task {long}").click()
    detail = page.get_by_role("dialog", name=f"Task {long}")
    expect(detail.locator("ol.log li").first).to_be_visible(timeout=LIVE)
    expect(detail.get_by_role("button", name="Copy remark")).to_be_visible()
    detail.get_by_role("button", name="Delete", exact=True).click()
    confirm(page, "Delete")
    notice(page, f"Task {long} deleted")
    expect(row).to_have_count(0, timeout=LIVE)
    assert demo.api("GET", f"/ui/v1/task/{long}")["code"] == 40401

    # Accounts from a CSV file (the CLI's columns), shown at once.
    csv = tmp_path / f"accounts-{round_}.csv"
    csv.write_text("username,device,enabled,tags,password\n"
                   f"{round_}_one,{first},true,night;eu,secret\n{round_}_two,,false,,\n")
    go(page, "Accounts")
    page.get_by_label("Import CSV").set_input_files(str(csv))
    notice(page, r"created 2, updated 0")
    expect(page.locator("tr[data-account]", has_text=f"{round_}_one")).to_contain_text("night; eu")
    expect(page.get_by_label(f"{round_}_two enabled")).not_to_be_checked()

    # A phone's screen.
    go(page, "Phones")
    page.get_by_role("link", name=f"Screen of {first}").click()
    page.wait_for_function("() => document.querySelector('img.screen')?.naturalWidth > 0",
                           timeout=LIVE)
    expect(page.locator(".facts-box")).to_contain_text("Health checked")
    go(page, "Tasks")


def test_the_console_runs_the_hub_on_pro_and_on_starter(page, demo, tmp_path):
    # The demo's sample tasks, stopped together from the multi-select.
    expect(page.locator("tr[data-task]")).to_have_count(3, timeout=LIVE)
    page.get_by_label("Select every task shown").check()
    page.get_by_role("button", name="Stop selected").click()
    notice(page, r"Stopped: 3 of 3")
    expect(page.locator("tr[data-task] .badge", has_text="failed")).to_have_count(3, timeout=LIVE)

    operate(page, demo, tmp_path, "pro")

    demo.set_plan("Starter")
    expect(page.locator("#plan-badge")).to_contain_text("Starter plan", timeout=LIVE)
    assert demo.api("GET", "/api/v1/task")["code"] == 40301     # closed to other programs
    operate(page, demo, tmp_path, "starter")
    demo.set_plan("Pro")


def test_text_from_the_hub_is_shown_as_text_never_run(page, demo):
    go(page, "Accounts")
    page.get_by_role("button", name="New account").click()
    form = page.get_by_role("dialog", name="New account")
    form.get_by_label("Username").fill(XSS)
    form.get_by_role("button", name="Save").click()
    expect(page.locator("tr[data-account] td", has_text=XSS)).to_have_text(XSS, timeout=LIVE)

    go(page, "Groups")
    page.get_by_role("button", name="New group").click()
    form = page.get_by_role("dialog", name="New group")
    form.get_by_label("Name").fill(XSS)
    form.get_by_label(demo.serials[2], exact=True).check()
    form.get_by_role("button", name="Save").click()
    expect(page.locator("tr[data-group] td", has_text=XSS)).to_have_text(XSS, timeout=LIVE)

    go(page, "Tasks")
    task_id = create_warmup(page, demo.serials[2], 1, comment=XSS)
    page.get_by_role("button", name=f"Open task {task_id}").click()
    expect(page.get_by_role("dialog", name=f"Task {task_id}").locator("pre.config")).to_contain_text(XSS)
    page.keyboard.press("Escape")
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src=x]").count() == 0


def test_the_token_is_asked_for_once_and_never_put_in_a_url(browser, demo):
    token = (demo.state_dir / "api-token").read_text().strip()
    port = demo.url.rsplit(":", 1)[1]
    context = browser.new_context()
    tab = context.new_page()
    urls: list[str] = []
    tab.on("request", lambda request: urls.append(request.url))
    tab.goto(f"http://hub.test:{port}/#/phones")      # a name the hub does not know: token needed
    login = tab.get_by_role("dialog", name="API token")
    expect(login).to_be_visible(timeout=LIVE)
    login.get_by_label("Token").fill(token)
    login.get_by_role("button", name="Use token").click()
    expect(tab.locator("tr[data-serial]")).to_have_count(3, timeout=LIVE)
    expect(tab.locator("#live")).to_have_text("● live", timeout=LIVE)
    assert tab.evaluate("Object.values(sessionStorage)") == [token]
    assert not [url for url in urls if token in url]
    context.close()


def test_the_api_docs_render_the_openapi_document(page, demo):
    page.goto(demo.url + "/docs")
    expect(page.get_by_text("Phone-array hub: TikMatrix Local API v1")).to_be_visible(timeout=LIVE)
    expect(page.locator(".opblock-summary-path", has_text="/task/{task_id}/retry")).to_have_count(1)


def test_groups_and_schedules_from_the_console(page, demo):
    go(page, "Groups")
    page.get_by_role("button", name="New group").click()
    form = page.get_by_role("dialog", name="New group")
    form.get_by_label("Name").fill("night shift")
    for serial in demo.serials[:2]:
        form.get_by_label(serial, exact=True).check()
    form.get_by_role("button", name="Save").click()
    row = page.locator("tr[data-group]", has_text="night shift")
    expect(row).to_contain_text(demo.serials[1], timeout=LIVE)

    go(page, "Schedules")
    page.get_by_role("button", name="New schedule").click()
    form = page.get_by_role("dialog", name="New schedule")
    form.get_by_label("Name").fill("Morning warm-up")
    form.get_by_label("Monday").check()
    form.get_by_label("Times (HH:MM, hub time)").fill("08:00, 20:30")
    form.get_by_label("Groups").check()
    form.get_by_label("night shift", exact=True).check()
    form.get_by_label("Task duration").fill("1")
    form.get_by_role("button", name="Save").click()
    row = page.locator("tr[data-schedule]", has_text="Morning warm-up")
    expect(row).to_contain_text("mon at 08:00, 20:30", timeout=LIVE)
    expect(row).to_contain_text("1 group(s): night shift")
    schedule = demo.api("GET", "/ui/v1/schedule")["data"]["schedules"][0]
    assert len(schedule["next_run_times"]) == 3 and schedule["script_config"]["task_duration"] == 1
    row.get_by_role("button", name="Run now schedule Morning warm-up").click()
    notice(page, r"Morning warm-up: created 2 task\(s\)")
    go(page, "Tasks")
    page.get_by_label("Source").select_option("schedule")
    expect(page.locator("tr[data-task] .badge", has_text="completed")).to_have_count(2, timeout=60_000)


def axe_violations(tab) -> list[str]:
    tab.add_script_tag(path=str(AXE))
    return tab.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))"
                         ".violations.filter(v => ['serious', 'critical'].includes(v.impact))"
                         ".map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target).join(' | ')})`)")


def test_every_page_is_accessible_and_photographed_at_two_widths(browser, demo):
    OUT.mkdir(parents=True, exist_ok=True)
    problems = {}
    for width in WIDTHS:
        # bypass_csp: axe is injected as an inline script, which the console's CSP refuses.
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        tab = context.new_page()
        views = [(name, f"/#/{name}", None) for name in PAGES]
        views += [("phone", f"/#/phones/{demo.serials[0]}", "img.screen"),
                  ("new-task", "/#/tasks", "New task")]
        for name, path, extra in views:
            tab.goto(demo.url + path)
            expect(tab.locator("#live")).to_have_text("● live", timeout=LIVE)
            expect(tab.locator('main[aria-busy="false"] h1')).to_be_visible(timeout=LIVE)
            if extra == "img.screen":
                tab.wait_for_function("() => document.querySelector('img.screen')?.naturalWidth > 0",
                                      timeout=LIVE)
            elif extra:
                tab.get_by_role("button", name=extra).click()
                expect(tab.get_by_role("dialog", name=extra)).to_be_visible()
            tab.screenshot(path=str(OUT / f"{name}-{width}.png"), full_page=extra is None)
            if violations := axe_violations(tab):
                problems[f"{name} at {width} px"] = violations
        context.close()
    assert not problems, problems
