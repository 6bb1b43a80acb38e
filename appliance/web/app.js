// The dashboard: polls /ui/overview every 2 s and renders it. Text goes in with textContent only
// (task remarks and account names come from users): no HTML is ever built from data.
"use strict";
const STATUS = ["pending", "running", "completed", "failed"];

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (cls) td.className = cls;
}

function fill(id, rows, render) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  for (const item of rows) render(body.insertRow(), item);
}

function render(data) {
  document.getElementById("plan").textContent =
    `${data.license.plan_name} plan · up to ${data.license.device_limit} phones at once · v${data.version}`;
  const stats = document.getElementById("stats");
  stats.replaceChildren();
  for (const key of ["total", "pending", "running", "completed", "failed"]) {
    const box = document.createElement("div");
    box.className = `stat ${key}`;
    const n = document.createElement("b");
    n.textContent = data.stats[key];
    box.append(n, document.createTextNode(` ${key}`));
    stats.append(box);
  }
  fill("devices", data.devices, (row, d) => {
    const h = d.health || {};
    cell(row, d.serial);
    cell(row, d.state, `state ${d.state}`);
    cell(row, [h.brand, h.model].filter(Boolean).join(" "));
    cell(row, h.battery_level === null || h.battery_level === undefined ? "" : `${h.battery_level}%`);
    cell(row, h.temperature === null || h.temperature === undefined ? "" : `${h.temperature} °C`, d.hot ? "hot" : "");
    cell(row, d.usable ? "yes" : `no: ${d.unusable_reason || d.quarantined || "not usable"}`);
  });
  if (!data.adb_enabled) {
    const row = document.querySelector("#devices tbody").insertRow();
    cell(row, "adb is turned off on this hub (adb_enabled = false)");
  }
  fill("tasks", data.tasks, (row, t) => {
    cell(row, t.id);
    cell(row, t.serial);
    cell(row, t.username);
    cell(row, t.script_name);
    cell(row, STATUS[t.status], `status ${STATUS[t.status]}`);
    cell(row, t.created_at);
    cell(row, t.remark);
  });
  document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

async function refresh() {
  const error = document.getElementById("error");
  const token = sessionStorage.getItem("token");
  try {
    const resp = await fetch("/ui/overview", {headers: token ? {Authorization: `Bearer ${token}`} : {}});
    const body = await resp.json();
    document.getElementById("login").hidden = body.code !== 40101;
    if (body.code !== 0) throw new Error(body.message);
    error.hidden = true;
    render(body.data);
  } catch (exc) {
    error.textContent = `Cannot read the hub: ${exc.message}`;
    error.hidden = false;
  }
}

document.getElementById("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem("token", document.getElementById("token").value.trim());
  refresh();
});
refresh();
setInterval(refresh, 2000);
