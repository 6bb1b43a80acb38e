// Schedules: weekdays x "HH:MM" times (the hub's time zone) that create tasks for phones, groups
// or accounts; create, edit, enable, run now, delete; next runs in the browser's local time.
// A hub without the /schedule routes says so.

import {ApiError, del, get, patch, post, scriptSchemas} from "../api.js";
import {coalesce, confirmed, failed, field, h, modal, notify, table, when} from "../dom.js";
import {schemaForm} from "../schemaform.js";
import {targetPicker} from "../targets.js";

const WEEKDAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"],
  ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];
let root = null;
const refresh = coalesce(() => load(), 500);

function describeTargets(targets) {
  const [kind, values] = Object.entries(targets || {})[0] || ["", []];
  const noun = {serials: "phone", groups: "group", usernames: "account"}[kind] || kind;
  return `${values.length} ${noun}(s): ${values.join(", ")}`;
}

async function edit(schedule) {
  let schemas;
  try {
    schemas = await scriptSchemas();
  } catch (err) {
    failed("Cannot read the scripts", err);
    return;
  }
  const picker = await targetPicker(schedule.targets || {});
  const name = h("input", {name: "name", required: true, autocomplete: "off", value: schedule.name || ""});
  const days = new Set(schedule.weekdays || []);
  const boxes = WEEKDAYS.map(([value]) => h("input", {type: "checkbox", value, checked: days.has(value)}));
  const times = h("input", {name: "times", required: true, autocomplete: "off",
    value: (schedule.times || []).join(", "), placeholder: "08:00, 20:30"});
  const enabled = h("input", {type: "checkbox", name: "enabled", checked: schedule.enabled !== false});
  const script = h("select", {name: "script_name"}, Object.keys(schemas).map((n) =>
    h("option", {value: n, selected: n === (schedule.script_name || "account_warmup")}, n)));
  const config = h("fieldset", {class: "config"});
  let form = null;
  const showConfig = () => {
    const same = script.value === schedule.script_name;
    form = schemaForm(schemas[script.value], same ? schedule.script_config : {});
    config.replaceChildren(h("legend", {}, `Options of ${script.value}`), form.node);
  };
  script.addEventListener("change", showConfig);
  showConfig();
  const body = h("div", {},
    field("Name", name),
    h("fieldset", {class: "days"}, h("legend", {}, "Weekdays (none: every day)"),
      WEEKDAYS.map(([, label], i) => field(label, boxes[i]))),
    field("Times (HH:MM, hub time)", times, "Separated by commas."),
    field("Enabled", enabled),
    picker.node, field("Script", script), config);
  for (;;) {
    const answer = await modal(schedule.id ? `Schedule ${schedule.name}` : "New schedule", body,
      [["Cancel", "cancel"], ["Save", "save", "primary"]]);
    if (answer !== "save") return;
    try {
      const targets = picker.read();
      if (!targets) throw new Error("choose at least one phone, group or account to run on");
      const request = {name: name.value.trim(), enabled: enabled.checked,
        weekdays: boxes.filter((b) => b.checked).map((b) => b.value),
        times: times.value.split(/[,\s]+/).filter(Boolean), targets,
        script_name: script.value, script_config: form.read()};
      if (schedule.id) await patch(`/schedule/${schedule.id}`, request);
      else await post("/schedule", request);
      notify(`Saved the schedule ${request.name}.`);
      load();
      return;
    } catch (err) {
      failed("Save the schedule", err);
    }
  }
}

function actions(s) {
  const act = (label, run, cls) => h("button", {type: "button", class: cls || null,
    "aria-label": `${label} schedule ${s.name}`, onclick: async () => {
      try {
        await run();
      } catch (err) {
        failed(`${label} ${s.name}`, err);
      }
      load();
    }}, label);
  return [
    act("Run now", async () => {
      const data = await post(`/schedule/${s.id}/run`);
      notify(`${s.name}: created ${data.created_count} task(s).`);
    }),
    h("button", {type: "button", "aria-label": `Edit schedule ${s.name}`, onclick: () => edit(s)}, "Edit"),
    act("Delete", async () => {
      if (!await confirmed(`Delete the schedule ${s.name}? Tasks it made are kept.`, "Delete")) return;
      await del(`/schedule/${s.id}`);
      notify(`Deleted the schedule ${s.name}.`);
    }, "danger"),
  ];
}

async function load() {
  if (!root) return;
  const list = root.querySelector(".list");
  let schedules;
  try {
    schedules = (await get("/schedule")).schedules;
  } catch (err) {
    if (err instanceof ApiError && err.code === 40401) {
      root.querySelector(".toolbar").hidden = true;
      list.replaceChildren(h("p", {}, "Schedules are not available on this hub."));
      return;
    }
    failed("Cannot read the schedules", err);
    return;
  }
  list.replaceChildren(table("Schedules",
    ["Name", "When", "Runs on", "Script", "Enabled", "Next runs", "Last run", "Actions"],
    schedules.map((s) => h("tr", {dataset: {schedule: s.id}},
      h("td", {}, s.name),
      h("td", {}, `${s.weekdays.length ? s.weekdays.join(", ") : "every day"} at ${s.times.join(", ")}` +
        (s.timezone ? ` (${s.timezone})` : "")),
      h("td", {}, describeTargets(s.targets)),
      h("td", {}, s.script_name),
      h("td", {}, h("input", {type: "checkbox", checked: s.enabled, "aria-label": `${s.name} enabled`,
        onchange: async (e) => {
          try {
            await patch(`/schedule/${s.id}`, {enabled: e.target.checked});
          } catch (err) {
            failed(`Change ${s.name}`, err);
          }
          load();
        }})),
      h("td", {}, (s.next_run_times || []).map(when).join("; ") || "—"),
      h("td", {}, s.last_run_at ? `${when(s.last_run_at)}: ${s.last_error || `${s.last_task_count} task(s)`}` : "—"),
      h("td", {class: "row-actions"}, actions(s)))),
    {empty: "No schedules yet."}));
}

export default {
  async enter(node) {
    root = node;
    root.append(h("h1", {}, "Schedules"),
      h("div", {class: "toolbar"}, h("button", {type: "button", class: "primary",
        onclick: () => edit({})}, "New schedule")),
      h("div", {class: "list"}));
    await load();
  },
  leave() {
    root = null;
  },
  event(type) {
    if (["reset", "poll"].includes(type)) refresh();
  },
};
