// Device groups: named sets of phones (create, rename, change phones, delete), with each
// group's pending and running task counts. A hub without the /group routes says so.

import {ApiError, del, get, patch, post} from "../api.js";
import {coalesce, confirmed, failed, field, h, modal, notify, table} from "../dom.js";

let root = null;
const refresh = coalesce(() => load(), 500);

async function edit(group) {
  const devices = await get("/device").then((d) => d.devices, () => []);
  const serials = [...new Set([...devices.map((d) => d.serial), ...(group.serials || [])])];
  const name = h("input", {name: "name", required: true, autocomplete: "off", value: group.name || ""});
  const chosen = new Set(group.serials || []);
  const boxes = serials.map((s) => h("input", {type: "checkbox", value: s, checked: chosen.has(s)}));
  const body = h("div", {}, field("Name", name),
    h("fieldset", {class: "choices"}, h("legend", {}, "Phones"),
      serials.length ? serials.map((s, i) => field(s, boxes[i])) : h("p", {class: "hint"}, "No phones yet.")));
  for (;;) {
    const answer = await modal(group.id ? `Group ${group.name}` : "New group", body,
      [["Cancel", "cancel"], ["Save", "save", "primary"]]);
    if (answer !== "save") return;
    const request = {name: name.value.trim(), serials: boxes.filter((b) => b.checked).map((b) => b.value)};
    try {
      if (group.id) await patch(`/group/${group.id}`, request);
      else await post("/group", request);
      notify(`Saved the group ${request.name}.`);
      load();
      return;
    } catch (err) {
      failed("Save the group", err);
    }
  }
}

async function load() {
  if (!root) return;
  const list = root.querySelector(".list");
  let groups;
  try {
    groups = (await get("/group")).groups;
  } catch (err) {
    if (err instanceof ApiError && err.code === 40401) {
      root.querySelector(".toolbar").hidden = true;
      list.replaceChildren(h("p", {}, "Device groups are not available on this hub."));
      return;
    }
    failed("Cannot read the groups", err);
    return;
  }
  list.replaceChildren(table("Groups", ["Name", "Phones", "Pending", "Running", "Actions"],
    groups.map((g) => h("tr", {dataset: {group: g.id}},
      h("td", {}, g.name),
      h("td", {class: "mono"}, g.serials.join(", ") || "—"),
      h("td", {}, String(g.counts ? g.counts.pending : "")),
      h("td", {}, String(g.counts ? g.counts.running : "")),
      h("td", {class: "row-actions"},
        h("button", {type: "button", "aria-label": `Edit group ${g.name}`, onclick: () => edit(g)}, "Edit"),
        h("button", {type: "button", class: "danger", "aria-label": `Delete group ${g.name}`,
          onclick: async () => {
            if (!await confirmed(`Delete the group ${g.name}? Its phones and tasks stay.`, "Delete")) return;
            try {
              await del(`/group/${g.id}`);
              notify(`Deleted the group ${g.name}.`);
            } catch (err) {
              failed(`Delete ${g.name}`, err);
            }
            load();
          }}, "Delete")))),
    {empty: "No groups yet."}));
}

export default {
  async enter(node) {
    root = node;
    root.append(h("h1", {}, "Groups"),
      h("div", {class: "toolbar"}, h("button", {type: "button", class: "primary",
        onclick: () => edit({})}, "New group")),
      h("div", {class: "list"}));
    await load();
  },
  leave() {
    root = null;
  },
  event(type) {
    if (["task_status", "reload_devices", "reset", "poll"].includes(type)) refresh();
  },
};
