// Phones: state, why one is not usable, health with its age, groups, holds; connect and
// disconnect over TCP, reboot, the UI hierarchy; one phone's page shows its screen, refreshed.
// Live: device_status and reload_devices events re-read the list.

import {ApiError, call, get, post} from "../api.js";
import {ago, coalesce, confirmed, download, failed, field, h, notify, table, when} from "../dom.js";

const SCREEN_MS = 2000;
const LIST_MS = 10000;      // health is checked in the background, without events: re-read
let root = null;
let serial = null;          // the phone whose page is shown, else null (the list)
let timer = null;
let visit = 0;              // which visit of a page a screenshot loop belongs to
let lastShot = null;        // the screen shown, as a Blob (for "Save screenshot")
const refresh = coalesce(() => (serial ? loadPhone() : loadList()), 300);

const path = (s) => `/device/${encodeURIComponent(s)}`;
const fileName = (s) => s.replace(/[^A-Za-z0-9._-]/g, "_");

function health(d) {
  const hh = d.health || {};
  return {
    battery: hh.battery_level === null || hh.battery_level === undefined ? "" :
      `${hh.battery_level}%${hh.charging ? " charging" : ""}`,
    temperature: hh.temperature === null || hh.temperature === undefined ? "" : `${hh.temperature} °C`,
    model: [hh.brand, hh.model].filter(Boolean).join(" "),
    android: hh.android_version || "",
    app: hh.app ? (hh.app.installed ? `${hh.app.version || "installed"}` : "not installed") : "",
    checked: hh.checked_at ? ago(hh.checked_at * 1000) : "never",
  };
}

function usable(d) {
  if (d.usable) return h("span", {class: "badge ok"}, "usable");
  const held = d.held ? ` (held: ${d.held.reason}${d.held.until ? ` until ${when(d.held.until)}` : ""})` : "";
  return h("span", {class: "why"}, `${d.unusable_reason || `state ${d.state}`}${held}`);
}

async function saveHierarchy(s) {
  try {
    const resp = await call("GET", `${path(s)}/hierarchy`, undefined, {raw: true});
    download(await resp.blob(), `${fileName(s)}-ui.xml`);
  } catch (err) {
    failed(`UI hierarchy of ${s}`, err);
  }
}

function phoneActions(d, after) {
  const act = (label, question, run) => h("button", {type: "button", class: label === "Reboot" ? "danger" : null,
    "aria-label": `${label} ${d.serial}`, onclick: async () => {
      if (question && !await confirmed(question, label)) return;
      try {
        await run();
        notify(`${d.serial}: ${label.toLowerCase()} sent.`);
      } catch (err) {
        failed(`${label} ${d.serial}`, err);
      }
      after();
    }}, label);
  return [
    h("a", {class: "button", href: `#/phones/${encodeURIComponent(d.serial)}`,
      "aria-label": `Screen of ${d.serial}`}, "Screen"),
    h("button", {type: "button", "aria-label": `UI hierarchy of ${d.serial}`,
      onclick: () => saveHierarchy(d.serial)}, "Hierarchy"),
    act("Reboot", `Reboot ${d.serial}? Its running task fails.`, () => post(`${path(d.serial)}/reboot`)),
    d.transport === "tcp" ? act("Disconnect", `Disconnect ${d.serial}? The hub forgets it.`,
      () => post(`${path(d.serial)}/disconnect`)) : null,
  ];
}

// --- the list --------------------------------------------------------------------------------

async function loadList() {
  if (!root || serial) return;
  let devices;
  try {
    devices = (await get("/device")).devices;
  } catch (err) {
    root.querySelector(".list").replaceChildren(h("p", {class: "error"}, err.message));
    return;
  }
  root.querySelector(".list").replaceChildren(table("Phones",
    ["Phone", "State", "Usable", "Battery", "Temp", "Model", "Android", "App", "Health checked",
      "Groups", "Actions"],
    devices.map((d) => {
      const hh = health(d);
      return h("tr", {dataset: {serial: d.serial}},
        h("td", {class: "mono"}, h("a", {href: `#/phones/${encodeURIComponent(d.serial)}`}, d.serial)),
        h("td", {}, h("span", {class: `badge state-${d.state}`}, d.state),
          d.stalled_since ? h("small", {}, ` since ${when(d.stalled_since)}`) : null),
        h("td", {}, usable(d)),
        h("td", {}, hh.battery), h("td", {class: d.hot ? "hot" : null}, hh.temperature),
        h("td", {}, hh.model), h("td", {}, hh.android), h("td", {}, hh.app),
        h("td", {}, hh.checked),
        h("td", {}, (d.groups || []).join(", ")),
        h("td", {class: "row-actions"}, phoneActions(d, loadList)));
    }), {empty: "No phones yet: plug one in over USB, or connect one over TCP below."}));
}

function connectForm() {
  const address = h("input", {name: "address", required: true, placeholder: "192.168.1.20:5555",
    autocomplete: "off", pattern: "[^\\s]{3,260}"});
  return h("form", {class: "inline", "aria-label": "Connect a phone over TCP", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const data = await post("/device/connect", {address: address.value.trim()});
      notify(`Connected ${data.serial}.`);
      address.value = "";
    } catch (err) {
      failed(`Connect ${address.value}`, err);
    }
    loadList();
  }}, field("Connect a phone over TCP (host:port)", address),
  h("button", {class: "primary"}, "Connect"));
}

// --- one phone -------------------------------------------------------------------------------

async function loadPhone() {
  if (!root || !serial) return;
  const box = root.querySelector(".facts-box");
  let d;
  try {
    d = await get(path(serial));
  } catch (err) {
    box.replaceChildren(h("p", {class: "error"}, err instanceof ApiError && err.code === 40401
      ? `This hub has never seen ${serial}.` : err.message));
    return;
  }
  const hh = health(d);
  box.replaceChildren(
    h("dl", {class: "facts"}, [["State", d.state], ["Usable", usable(d)], ["Battery", hh.battery],
      ["Temperature", hh.temperature], ["Model", hh.model], ["Android", hh.android], ["App", hh.app],
      ["Health checked", hh.checked], ["Groups", (d.groups || []).join(", ") || "—"],
      ["Connected", d.transport], ["Last seen", when(d.last_seen)]]
      .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("div", {class: "toolbar"}, phoneActions(d, loadPhone).slice(1),
      h("a", {class: "button", href: `#/tasks?serial=${encodeURIComponent(serial)}`}, "Its tasks")));
}

async function screenshot(mine) {
  let text;
  let blob = null;
  try {
    const resp = await call("GET", `${path(serial)}/screenshot`, undefined, {raw: true});
    blob = await resp.blob();
    text = `Screen at ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    text = `No screen: ${err.message}`;
  }
  if (mine !== visit) return;     // the operator has gone to another page meanwhile
  const img = root.querySelector("img.screen");
  if (blob) {
    const old = img.src;
    img.src = URL.createObjectURL(blob);
    lastShot = blob;
    if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  }
  root.querySelector(".screen-status").textContent = text;
  if (root.querySelector("input.auto").checked) timer = setTimeout(() => screenshot(mine), SCREEN_MS);
}

function phonePage() {
  const mine = visit;
  const auto = h("input", {type: "checkbox", class: "auto", checked: true, onchange: () => {
    clearTimeout(timer);
    if (auto.checked) screenshot(mine);
  }});
  root.append(
    h("p", {}, h("a", {href: "#/phones"}, "← All phones")),
    h("h1", {class: "mono"}, serial),
    h("div", {class: "phone"},
      h("figure", {class: "screen-box"},
        h("img", {class: "screen", alt: `The screen of ${serial}`}),
        h("figcaption", {}, h("span", {class: "screen-status", role: "status"}, "Loading the screen…"),
          field("Refresh every 2 s", auto),
          h("button", {type: "button", onclick: () => {
            if (lastShot) download(lastShot, `${fileName(serial)}.png`);
          }}, "Save screenshot"))),
      h("div", {class: "facts-box"})));
  screenshot(mine);
  return loadPhone();
}

export default {
  async enter(node, route) {
    root = node;
    serial = route.arg;
    visit += 1;
    if (serial) return phonePage();
    root.append(h("h1", {}, "Phones"), connectForm(), h("div", {class: "list"}));
    const mine = visit;
    const again = () => {
      timer = setTimeout(() => loadList().then(() => mine === visit && again()), LIST_MS);
    };
    again();
    return loadList();
  },
  leave() {
    clearTimeout(timer);
    const img = root.querySelector("img.screen");
    if (img && img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
    visit += 1;
    lastShot = null;
    root = null;
    serial = null;
  },
  event(type, data) {
    if (type === "device_status" && serial && data.serial !== serial) return;
    if (["device_status", "reload_devices", "reset", "poll"].includes(type)) refresh();
  },
};
