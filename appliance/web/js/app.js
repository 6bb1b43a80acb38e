// The console's entry: the login form, the header (plan, live state), the hash router
// (#/tasks, #/phones/<serial>, ...) and the live events handed to the page on screen.

import {onTokenNeeded, overview} from "./api.js";
import {coalesce, failed} from "./dom.js";
import {connect} from "./live.js";
import accounts from "./pages/accounts.js";
import groups from "./pages/groups.js";
import phones from "./pages/phones.js";
import plan from "./pages/plan.js";
import schedules from "./pages/schedules.js";
import tasks from "./pages/tasks.js";

const PAGES = {tasks, phones, accounts, groups, schedules, plan};
const main = document.getElementById("page");
let current = null;     // {page, route}

onTokenNeeded((why) => new Promise((resolve) => {
  const dialog = document.getElementById("login");
  const form = document.getElementById("login-form");
  const input = document.getElementById("login-token");
  document.getElementById("login-why").textContent = why;
  input.value = "";
  form.addEventListener("submit", () => resolve(input.value.trim()), {once: true});
  // Without a token nothing works: the form stays until one is given.
  dialog.addEventListener("cancel", (event) => event.preventDefault());
  if (!dialog.open) dialog.showModal();
}));

/** "#/phones/127.0.0.1:5555?x=1" -> {name: "phones", arg: "127.0.0.1:5555", params}. */
function route() {
  const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/");
  return {name: PAGES[name] ? name : "tasks", arg: rest.length ? decodeURIComponent(rest.join("/")) : null,
    params: new URLSearchParams(search || "")};
}

async function show() {
  const next = route();
  if (current) current.page.leave?.();
  current = {page: PAGES[next.name], route: next};
  for (const link of document.querySelectorAll("nav a[data-page]")) {
    if (link.dataset.page === next.name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  main.replaceChildren();
  main.setAttribute("aria-busy", "true");
  try {
    await current.page.enter(main, next);
  } catch (err) {
    failed(`Cannot show ${next.name}`, err);
  }
  main.setAttribute("aria-busy", "false");
}

async function header() {
  try {
    const data = await overview();
    const lic = data.license;
    const badge = document.getElementById("plan-badge");
    badge.textContent = `${lic.plan_name} plan · v${data.version}`;
    badge.title = lic.message;
  } catch (err) {
    failed("Cannot read the hub", err);
  }
}

const refreshHeader = coalesce(header, 1000);
let wasLive = null;

function onEvent(type, data) {
  if (type === "reload_license" || type === "poll") refreshHeader();
  if (current) current.page.event?.(type, data);
}

function onState(text) {
  document.getElementById("live").textContent = text === "live" ? "● live" : text;
  // Back after a break without a resumable place: what the page shows may be stale.
  if (text === "live" && wasLive === false && current) current.page.event?.("reset", {});
  wasLive = text === "live";
}

window.addEventListener("hashchange", show);
header();
show();
connect(onEvent, onState);
