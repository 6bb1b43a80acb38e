// Whom a task or schedule is for: phones (serials), device groups, or accounts (usernames), as
// POST /task and /schedule's targets name them. Groups may be missing on a hub without them.

import {all, get} from "./api.js";
import {field, h, newId} from "./dom.js";

const KINDS = [["serials", "Phones"], ["groups", "Groups"], ["usernames", "Accounts"]];

async function choices() {
  const [devices, groups, accounts] = await Promise.all([
    get("/device").then((d) => d.devices, () => []),
    get("/group").then((d) => d.groups, () => []),
    all("/account", "accounts").catch(() => []),
  ]);
  return {
    serials: devices.map((d) => ({value: d.serial, label: d.serial,
      note: [d.health && d.health.model, d.usable ? "" : `not usable: ${d.unusable_reason || d.state}`]
        .filter(Boolean).join(" · ")})),
    groups: groups.map((g) => ({value: g.name, label: g.name, note: `${g.serials.length} phone(s)`})),
    usernames: accounts.map((a) => ({value: a.username, label: a.username,
      note: [a.device, a.enabled ? "" : "disabled"].filter(Boolean).join(" · ")})),
  };
}

/**
 * A fieldset choosing one kind and its values; `read()` -> {serials: [...]} (or groups or
 * usernames), or null when nothing is chosen. `chosen` preselects ({groups: ["night"]}).
 */
export async function targetPicker(chosen = {}) {
  const options = await choices();
  let kind = KINDS.find(([k]) => chosen[k])?.[0] || "serials";
  const name = newId("kind");
  const list = h("div", {class: "choices"});

  function show() {
    const picked = new Set(chosen[kind] || []);
    list.replaceChildren();
    const items = options[kind];
    if (!items.length) {
      list.append(h("p", {class: "hint"}, `No ${kind === "serials" ? "phones" : kind === "groups" ? "groups" : "accounts"} on this hub yet.`));
      return;
    }
    const boxes = items.map((item) => h("input", {type: "checkbox", value: item.value,
      checked: picked.has(item.value), dataset: {target: kind}}));
    const every = h("input", {type: "checkbox", onchange: () => {
      for (const box of boxes) box.checked = every.checked;
    }});
    list.append(field("All of them", every),
      ...items.map((item, i) => field(item.label, boxes[i], item.note || null)));
  }

  const radios = KINDS.map(([value, label]) => {
    const radio = h("input", {type: "radio", name, value, checked: value === kind,
      onchange: () => { kind = value; show(); }});
    return field(label, radio);
  });
  show();
  const node = h("fieldset", {class: "targets"}, h("legend", {}, "Run on"),
    h("div", {class: "kinds"}, radios), list);

  function read() {
    const values = [...list.querySelectorAll("input[data-target]:checked")].map((box) => box.value);
    return values.length ? {[kind]: values} : null;
  }
  return {node, read, kind: () => kind};
}
