// Plan and version: what the hub's plan allows third-party clients (the console and the admin
// CLI work on every plan), the version, whether adb is on, and where the API docs are.

import {overview} from "../api.js";
import {failed, h} from "../dom.js";

let root = null;

async function load() {
  if (!root) return;
  let info;
  try {
    info = await overview();
  } catch (err) {
    failed("Cannot read the plan", err);
    return;
  }
  const license = info.license;
  const facts = [
    ["Plan", license.plan_name],
    ["Local API for other programs", license.api_enabled ? "open (/api/v1)" : "closed on this plan"],
    ["Phones at once", String(license.device_limit)],
    ["Console and admin CLI", "work on every plan"],
    ["Hub version", info.version],
    ["ADB", info.adb_enabled ? "on" : "off (adb_enabled = false): no phones"],
  ];
  root.querySelector(".facts-box").replaceChildren(
    h("p", {}, license.message),
    h("dl", {class: "facts"}, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("p", {}, "The administrator changes the plan on the box with ",
      h("code", {}, "appliance license set <plan>"), "; this page follows at once."),
    h("p", {}, h("a", {href: "/docs"}, "API documentation"), " (OpenAPI, ",
      h("a", {href: "/api/v1/openapi.json"}, "openapi.json"), ")"));
}

export default {
  async enter(node) {
    root = node;
    root.append(h("h1", {}, "Plan and version"), h("div", {class: "facts-box"}));
    await load();
  },
  leave() {
    root = null;
  },
  event(type) {
    if (type === "reload_license" || type === "reset") load();
  },
};
