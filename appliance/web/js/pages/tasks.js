// Tasks: counts, filters, paging, a search of the page shown, multi-select with stop / retry /
// delete, retry-all, the detail (log lines, remark, UI dump, copy buttons) and the create form
// generated from each script's JSON Schema. Live: task_status events re-read what is shown.

import {ApiError, del, get, post, query, scriptSchemas} from "../api.js";
import {coalesce, confirmed, copyText, download, failed, field, h, newId, notify, table, when}
  from "../dom.js";
import {schemaForm} from "../schemaform.js";
import {targetPicker} from "../targets.js";

export const STATUS = ["pending", "running", "completed", "failed"];
const SOURCES = ["ui", "api", "schedule"];
const FILTERS = ["status", "script_name", "source", "serial", "username"];
const PAGE_SIZES = [20, 50, 100];

let root = null;
let state = null;          // {filters, page, page_size, search, selected: Set, data, stats}
let detail = null;         // {id, render} while a task's detail is open
const refresh = coalesce(() => load(), 300);

function setRoute() {
  const params = new URLSearchParams();
  for (const key of FILTERS) if (state.filters[key] !== "") params.set(key, state.filters[key]);
  if (state.page > 1) params.set("page", state.page);
  const hash = `#/tasks${params.toString() ? `?${params}` : ""}`;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

async function load() {
  if (!root) return;
  const mine = state;
  const {filters, page, page_size: pageSize} = mine;
  let data;
  let stats;
  try {
    [data, stats] = await Promise.all([
      get(`/task${query({...filters, page, page_size: pageSize})}`), get("/task/stats")]);
  } catch (err) {
    failed("Cannot read the tasks", err);
    return;
  }
  if (state !== mine || !root) return;      // the operator left the page meanwhile
  const last = Math.max(1, Math.ceil(data.total / pageSize));
  if (page > last) {                        // the tasks of the last page were deleted
    state.page = last;
    setRoute();
    load();
    return;
  }
  state.data = data;
  state.stats = stats;
  const shown = new Set(state.data.tasks.map((t) => t.id));
  for (const id of state.selected) if (!shown.has(id)) state.selected.delete(id);
  render();
}

function statusBadge(status) {
  return h("span", {class: `badge status-${STATUS[status]}`}, STATUS[status] ?? String(status));
}

function matches(task, text) {
  if (!text) return true;
  const hay = [task.id, task.serial, task.username, task.script_name, task.remark, task.source]
    .map((v) => String(v ?? "").toLowerCase());
  return hay.some((v) => v.includes(text.toLowerCase()));
}

function row(task) {
  const box = h("input", {type: "checkbox", checked: state.selected.has(task.id),
    "aria-label": `Select task ${task.id}`, onchange: () => {
      if (box.checked) state.selected.add(task.id);
      else state.selected.delete(task.id);
      renderBulk();
    }});
  return h("tr", {dataset: {task: task.id}},
    h("td", {}, box),
    h("td", {}, h("button", {type: "button", class: "link", "aria-label": `Open task ${task.id}`,
      onclick: () => openTask(task.id)}, `#${task.id}`)),
    h("td", {class: "mono"}, task.serial),
    h("td", {}, task.username || ""),
    h("td", {}, task.script_name),
    h("td", {}, statusBadge(task.status)),
    h("td", {}, task.source),
    h("td", {class: "nowrap"}, when(task.created_at)),
    h("td", {class: "remark", title: task.remark || null}, task.remark || ""),
    h("td", {class: "row-actions"}, actions(task, load)));
}

/** Stop / Retry / Delete buttons fitting the task's status; `after` runs when one is done. */
function actions(task, after) {
  const act = (label, run) => h("button", {type: "button", "aria-label": `${label} task ${task.id}`,
    onclick: async () => {
      try {
        await run();
        notify(`Task ${task.id}: ${label.toLowerCase()} done.`);
      } catch (err) {
        failed(`${label} task ${task.id}`, err);
      }
      after();
    }}, label);
  return [
    task.status <= 1 ? act("Stop", () => post(`/task/${task.id}/stop`)) : null,
    task.status === 3 ? act("Retry", () => post(`/task/${task.id}/retry`)) : null,
  ];
}

let bulkBar = null;
function renderBulk() {
  const count = state.selected.size;
  const ids = [...state.selected];
  const each = async (label, fn) => {
    const results = await Promise.allSettled(ids.map(fn));
    const bad = results.filter((r) => r.status === "rejected");
    notify(`${label}: ${ids.length - bad.length} of ${ids.length} task(s)` +
      (bad.length ? `; refused: ${bad[0].reason.message}` : "."), bad.length ? "error" : "info");
    load();
  };
  bulkBar.replaceChildren(
    h("span", {}, `${count} selected`),
    h("button", {type: "button", disabled: !count,
      onclick: () => each("Stopped", (id) => post(`/task/${id}/stop`))}, "Stop selected"),
    h("button", {type: "button", disabled: !count,
      onclick: () => each("Retried", (id) => post(`/task/${id}/retry`))}, "Retry selected"),
    h("button", {type: "button", class: "danger", disabled: !count, onclick: async () => {
      if (!await confirmed(`Delete ${count} task(s)? Running ones are stopped first.`, "Delete")) return;
      try {
        const data = await del("/task/batch", {task_ids: ids});
        notify(`Deleted ${data.deleted_ids.length} task(s).`);
      } catch (err) {
        failed("Delete tasks", err);
      }
      state.selected.clear();
      load();
    }}, "Delete selected"));
}

function render() {
  const {data, stats} = state;
  const counts = root.querySelector(".stats");
  counts.replaceChildren(...["total", ...STATUS].map((key) => {
    const status = STATUS.indexOf(key);
    const active = status >= 0 && state.filters.status === String(status);
    return h("button", {type: "button", class: `stat ${key}`, "aria-pressed": String(active),
      onclick: () => {
        state.filters.status = status < 0 || active ? "" : String(status);
        root.querySelector("[name=status]").value = state.filters.status;
        state.page = 1;
        setRoute();
        load();
      }}, h("b", {}, String(stats[key])), ` ${key}`);
  }));
  const visible = data.tasks.filter((t) => matches(t, state.search));
  const pages = Math.max(1, Math.ceil(data.total / state.page_size));
  const all = h("input", {type: "checkbox", "aria-label": "Select every task shown",
    checked: visible.length > 0 && visible.every((t) => state.selected.has(t.id)),
    onchange: () => {
      for (const t of visible) {
        if (all.checked) state.selected.add(t.id);
        else state.selected.delete(t.id);
      }
      render();
    }});
  root.querySelector(".list").replaceChildren(
    table("Tasks", [h("th", {scope: "col"}, all), "Id", "Phone", "Account", "Script", "Status",
      "Source", "Created", "Remark", "Actions"], visible.map(row),
    {empty: state.search ? "No task on this page matches the search." : "No tasks match."}),
    h("nav", {class: "pager", "aria-label": "Pages of tasks"},
      h("button", {type: "button", disabled: state.page <= 1, onclick: () => turn(-1)}, "Previous"),
      h("span", {}, `Page ${state.page} of ${pages} · ${data.total} task(s)`),
      h("button", {type: "button", disabled: state.page >= pages, onclick: () => turn(1)}, "Next")));
  renderBulk();
}

function turn(step) {
  state.page += step;
  setRoute();
  load();
}

function filterForm(schemas, devices) {
  const select = (name, label, options) => field(label, h("select", {name},
    h("option", {value: ""}, "All"),
    options.map(([value, text]) => h("option", {value, selected: state.filters[name] === value}, text))));
  const listId = newId("serials");
  const form = h("form", {class: "filters", role: "search", "aria-label": "Filter tasks",
    onsubmit: (e) => e.preventDefault(), onchange: (event) => {
      if (event.target.name === "search") return;
      for (const key of FILTERS) state.filters[key] = form.elements[key].value.trim();
      state.page_size = Number(form.elements.page_size.value);
      state.page = 1;
      setRoute();
      load();
    }},
  select("status", "Status", STATUS.map((s, i) => [String(i), s])),
  select("script_name", "Script", Object.keys(schemas).map((s) => [s, s])),
  select("source", "Source", SOURCES.map((s) => [s, s])),
  field("Phone", h("input", {name: "serial", list: listId, value: state.filters.serial,
    placeholder: "serial", autocomplete: "off"})),
  h("datalist", {id: listId}, devices.map((d) => h("option", {value: d.serial}))),
  field("Account", h("input", {name: "username", value: state.filters.username,
    placeholder: "username", autocomplete: "off"})),
  field("Search this page", h("input", {type: "search", name: "search", value: state.search,
    oninput: (e) => { state.search = e.target.value; render(); }})),
  field("Per page", h("select", {name: "page_size"}, PAGE_SIZES.map((n) =>
    h("option", {value: String(n), selected: n === state.page_size}, String(n))))));
  return form;
}

async function retryAll() {
  if (!await confirmed("Put every failed task back in its phone's queue?", "Retry all")) return;
  try {
    const data = await post("/task/retry-all");
    notify(`Retried ${data.retried_count} task(s).`);
  } catch (err) {
    failed("Retry all", err);
  }
  load();
}

// --- one task -------------------------------------------------------------------------------

function copyButton(label, text) {
  return h("button", {type: "button", onclick: async () => {
    try {
      await copyText(text());
      notify(`${label} copied.`);
    } catch (err) {
      failed(`Copy ${label.toLowerCase()}`, err);
    }
  }}, `Copy ${label.toLowerCase()}`);
}

async function openTask(id) {
  const body = h("div", {class: "task-detail"});
  const titleId = newId("task");
  const dialog = h("dialog", {class: "wide", "aria-labelledby": titleId},
    h("h2", {id: titleId}, `Task ${id}`), body,
    h("div", {class: "actions"}, h("button", {type: "button", class: "primary",
      onclick: () => dialog.close()}, "Close")));
  document.body.append(dialog);
  let task = null;

  async function fetchTask() {
    try {
      task = await get(`/task/${id}`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 40401) {
        notify(`Task ${id} is gone.`);
        dialog.close();
        return;
      }
      failed(`Cannot read task ${id}`, err);
      return;
    }
    paint();
  }

  function paint() {
    const t = task;
    const facts = [["Status", statusBadge(t.status)], ["Phone", t.serial],
      ["Account", t.username || "—"], ["Script", t.script_name], ["Source", t.source],
      ["Created", when(t.created_at)], ["Started", when(t.started_at) || "—"],
      ["Finished", when(t.finished_at) || "—"], ["Retries", String(t.retry_count)],
      ["Interval", `${t.min_interval}–${t.max_interval} s`], ["Start at", t.start_time || "—"]];
    body.replaceChildren(
      h("dl", {class: "facts"}, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      h("h3", {}, "Remark"),
      h("p", {class: "remark-full"}, t.remark || "(none)"),
      h("div", {class: "toolbar"}, copyButton("Remark", () => t.remark || ""),
        actions(t, fetchTask),
        h("button", {type: "button", class: "danger", onclick: async () => {
          if (!await confirmed(`Delete task ${t.id}?${t.status === 1 ? " It is stopped first." : ""}`, "Delete")) return;
          try {
            await del(`/task/${t.id}`);
            notify(`Task ${t.id} deleted.`);
            dialog.close();
          } catch (err) {
            failed(`Delete task ${t.id}`, err);
          }
          load();
        }}, "Delete")),
      h("h3", {}, "Script config"),
      h("pre", {class: "config"}, JSON.stringify(t.script_config, null, 2)),
      h("h3", {}, `Log (${t.logs.length} line${t.logs.length === 1 ? "" : "s"})`),
      t.logs.length ? h("ol", {class: "log", "aria-label": "Log lines"}, t.logs.map((line) =>
        h("li", {class: `level-${line.level}`}, h("time", {datetime: line.ts}, when(line.ts)), " ",
          h("span", {class: "level"}, line.level), " ", line.message))) : h("p", {}, "No log lines yet."),
      h("div", {class: "toolbar"}, copyButton("Log", () =>
        t.logs.map((l) => `${l.ts} ${l.level} ${l.message}`).join("\n"))),
      t.ui_dump ? h("details", {class: "dump"}, h("summary", {}, "UI dump of the failed step"),
        h("div", {class: "toolbar"}, copyButton("UI dump", () => t.ui_dump),
          h("button", {type: "button", onclick: () => download(new Blob([t.ui_dump],
            {type: "application/xml"}), `task-${t.id}-ui.xml`)}, "Download UI dump")),
        h("pre", {}, t.ui_dump)) : null);
  }

  detail = {id, render: coalesce(fetchTask, 300)};
  dialog.addEventListener("close", () => {
    detail = null;
    dialog.remove();
  });
  dialog.showModal();
  await fetchTask();
}

// --- create ----------------------------------------------------------------------------------

async function openCreate() {
  let schemas;
  try {
    schemas = await scriptSchemas();
  } catch (err) {
    failed("Cannot read the scripts", err);
    return;
  }
  const names = Object.keys(schemas);
  const picker = await targetPicker();
  const script = h("select", {name: "script_name", required: true},
    names.map((n) => h("option", {value: n, selected: n === "account_warmup"}, n)));
  const config = h("fieldset", {class: "config"}, h("legend", {}, "Script options"));
  let form = null;
  const showConfig = () => {
    form = schemaForm(schemas[script.value]);
    config.replaceChildren(h("legend", {}, `Options of ${script.value}`), form.node);
  };
  script.addEventListener("change", showConfig);
  showConfig();
  const multi = h("input", {type: "checkbox", name: "enable_multi_account"});
  const minI = h("input", {type: "number", name: "min_interval", min: "0", max: "86400", value: "1"});
  const maxI = h("input", {type: "number", name: "max_interval", min: "0", max: "86400", value: "5"});
  const start = h("input", {type: "time", name: "start_time"});
  const error = h("p", {class: "error", role: "alert", hidden: true});
  const titleId = newId("create");
  const dialog = h("dialog", {class: "wide", "aria-labelledby": titleId});
  const body = h("form", {onsubmit: async (event) => {
    event.preventDefault();
    error.hidden = true;
    const targets = picker.read();
    if (!targets) {
      error.textContent = "Choose at least one phone, group or account to run on.";
      error.hidden = false;
      return;
    }
    let scriptConfig;
    try {
      scriptConfig = form.read();
    } catch (err) {
      error.textContent = `Script options: ${err.message}`;
      error.hidden = false;
      return;
    }
    const request = {...targets, script_name: script.value, script_config: scriptConfig,
      min_interval: Number(minI.value || 0), max_interval: Number(maxI.value || 0)};
    if (start.value) request.start_time = start.value;
    if (multi.checked && picker.kind() !== "usernames") request.enable_multi_account = true;
    try {
      const data = await post("/task", request);
      const unknown = data.unknown_serials && data.unknown_serials.length
        ? ` Never seen on this hub: ${data.unknown_serials.join(", ")}.` : "";
      notify(`Created ${data.created_count} task(s).${unknown}`);
      dialog.close();
      load();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      const name = err.data && err.data.field;
      if (name && !form.focus(name)) body.querySelector(`[name="${CSS.escape(name)}"]`)?.focus();
    }
  }},
  h("h2", {id: titleId}, "New task"),
  field("Script", script),
  picker.node,
  config,
  h("fieldset", {}, h("legend", {}, "When"),
    field("Each enabled account on the phone", multi, "Phones mode only: one task per account."),
    field("Shortest pause before it starts (s)", minI),
    field("Longest pause before it starts (s)", maxI),
    field("Start at (hub time, optional)", start)),
  error,
  h("div", {class: "actions"},
    h("button", {type: "button", onclick: () => dialog.close()}, "Cancel"),
    h("button", {class: "primary"}, "Create")));
  dialog.append(body);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

// --- the page --------------------------------------------------------------------------------

export default {
  async enter(node, route) {
    root = node;
    const p = route.params;
    state = {filters: Object.fromEntries(FILTERS.map((k) => [k, p.get(k) || ""])),
      page: Math.max(1, Number(p.get("page")) || 1), page_size: PAGE_SIZES[0], search: "",
      selected: new Set(), data: null, stats: null};
    const [schemas, devices] = await Promise.all([scriptSchemas().catch(() => ({})),
      get("/device").then((d) => d.devices, () => [])]);
    bulkBar = h("div", {class: "bulk", role: "group", "aria-label": "Selected tasks"});
    root.append(
      h("h1", {}, "Tasks"),
      h("div", {class: "toolbar"},
        h("button", {type: "button", class: "primary", onclick: openCreate}, "New task"),
        h("button", {type: "button", onclick: retryAll}, "Retry all failed")),
      h("div", {class: "stats", role: "group", "aria-label": "Task counts (filter by status)"}),
      filterForm(schemas, devices),
      bulkBar,
      h("div", {class: "list"}));
    await load();
  },
  leave() {
    root = null;
  },
  event(type, data) {
    if (type === "task_status" || type === "reset" || type === "poll") {
      refresh();
      if (detail && (type !== "task_status" || data.task_id === detail.id)) detail.render();
    }
  },
};
