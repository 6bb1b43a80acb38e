// Accounts: the registry (add, edit, enable, delete) and CSV import / export with the columns of
// `appliance accounts import|export`. Import adds new usernames and updates existing ones, one
// JSON call per row, as the CLI does.

import {all, del, get, patch, post} from "../api.js";
import {accountsFromCsv, accountsToCsv} from "../csv.js";
import {confirmed, download, failed, field, h, modal, newId, notify, table} from "../dom.js";

let root = null;

function accountForm(account, devices) {
  const listId = newId("devices");
  const input = (name, props = {}) => h("input", {name, autocomplete: "off", ...props});
  const controls = {
    username: input("username", {required: true, value: account.username || ""}),
    device: input("device", {list: listId, value: account.device || "", placeholder: "serial"}),
    password: input("password", {type: "password", autocomplete: "new-password",
      placeholder: account.id ? "unchanged" : ""}),
    email: input("email", {type: "email", value: account.email || ""}),
    tags: input("tags", {value: (account.tags || []).join("; "), placeholder: "tag; tag"}),
    package_name: input("package_name", {value: account.package_name || "com.zhiliaoapp.musically"}),
    enabled: h("input", {type: "checkbox", name: "enabled", checked: account.enabled !== false}),
    logged_in: h("input", {type: "checkbox", name: "logged_in", checked: account.logged_in === true}),
  };
  const node = h("div", {class: "grid"},
    field("Username", controls.username), field("Phone", controls.device, "The phone it is logged in on."),
    h("datalist", {id: listId}, devices.map((d) => h("option", {value: d.serial}))),
    field("Password", controls.password, "Kept by the hub, never shown again."),
    field("Email", controls.email), field("Tags", controls.tags, "Separated by ';'."),
    field("App package", controls.package_name),
    field("Enabled", controls.enabled), field("Logged in", controls.logged_in));

  function read() {
    const body = {username: controls.username.value.trim(), device: controls.device.value.trim() || null,
      email: controls.email.value.trim(), package_name: controls.package_name.value.trim(),
      tags: controls.tags.value.split(";").map((t) => t.trim()).filter(Boolean),
      enabled: controls.enabled.checked, logged_in: controls.logged_in.checked};
    if (controls.password.value) body.password = controls.password.value;
    return body;
  }
  return {node, read};
}

async function edit(account) {
  const devices = await get("/device").then((d) => d.devices, () => []);
  const form = accountForm(account, devices);
  const title = account.id ? `Account ${account.username}` : "New account";
  for (;;) {
    const answer = await modal(title, form.node, [["Cancel", "cancel"], ["Save", "save", "primary"]]);
    if (answer !== "save") return;
    try {
      if (account.id) await patch(`/account/${account.id}`, form.read());
      else await post("/account", form.read());
      notify(`Saved ${form.read().username}.`);
      load();
      return;
    } catch (err) {
      failed("Save the account", err);   // the dialog opens again with what was typed
    }
  }
}

async function importCsv(file) {
  let parsed;
  try {
    parsed = accountsFromCsv(await file.text());
  } catch (err) {
    failed(`Import ${file.name}`, err);
    return;
  }
  const existing = new Map((await all("/account", "accounts")).map((a) => [a.username, a.id]));
  let created = 0;
  let updated = 0;
  const refused = [];
  for (const body of parsed.bodies) {
    const name = body.username.trim().replace(/^@/, "");
    try {
      if (existing.has(name)) {
        await patch(`/account/${existing.get(name)}`, body);
        updated += 1;
      } else {
        existing.set(name, (await post("/account", body)).id);
        created += 1;
      }
    } catch (err) {
      refused.push(`${name}: ${err.message}`);
    }
  }
  const ignored = parsed.ignored.length ? ` Ignored column(s): ${parsed.ignored.join(", ")}.` : "";
  notify(`Imported ${file.name}: created ${created}, updated ${updated} account(s).${ignored}` +
    (refused.length ? ` Refused: ${refused.join("; ")}` : ""), refused.length ? "error" : "info");
  load();
}

async function exportCsv() {
  try {
    const accounts = await all("/account", "accounts");
    download(new Blob([accountsToCsv(accounts)], {type: "text/csv"}), "accounts.csv");
  } catch (err) {
    failed("Export the accounts", err);
  }
}

async function load() {
  if (!root) return;
  let accounts;
  try {
    accounts = await all("/account", "accounts");
  } catch (err) {
    failed("Cannot read the accounts", err);
    return;
  }
  root.querySelector(".list").replaceChildren(table("Accounts",
    ["Username", "Phone", "Enabled", "Logged in", "Tags", "Email", "Actions"],
    accounts.map((a) => h("tr", {dataset: {account: a.id}},
      h("td", {}, a.username),
      h("td", {class: "mono"}, a.device || ""),
      h("td", {}, h("input", {type: "checkbox", checked: a.enabled,
        "aria-label": `${a.username} enabled`, onchange: async (e) => {
          try {
            await patch(`/account/${a.id}`, {enabled: e.target.checked});
          } catch (err) {
            failed(`Change ${a.username}`, err);
            load();
          }
        }})),
      h("td", {}, a.logged_in ? "yes" : "no"),
      h("td", {}, (a.tags || []).join("; ")),
      h("td", {}, a.email || ""),
      h("td", {class: "row-actions"},
        h("button", {type: "button", "aria-label": `Edit ${a.username}`, onclick: () => edit(a)}, "Edit"),
        h("button", {type: "button", class: "danger", "aria-label": `Delete ${a.username}`,
          onclick: async () => {
            if (!await confirmed(`Delete the account ${a.username}? Its tasks are kept.`, "Delete")) return;
            try {
              await del(`/account/${a.id}`);
              notify(`Deleted ${a.username}.`);
            } catch (err) {
              failed(`Delete ${a.username}`, err);
            }
            load();
          }}, "Delete")))),
    {empty: "No accounts yet: add one, or import a CSV file."}));
}

export default {
  async enter(node) {
    root = node;
    const file = h("input", {type: "file", accept: ".csv,text/csv",
      onchange: () => {
        if (file.files[0]) importCsv(file.files[0]).finally(() => { file.value = ""; });
      }});
    root.append(
      h("h1", {}, "Accounts"),
      h("div", {class: "toolbar"},
        h("button", {type: "button", class: "primary", onclick: () => edit({})}, "New account"),
        field("Import CSV", file, "Columns: username, device, enabled, logged_in, package_name, " +
          "tags, email, password."),
        h("button", {type: "button", onclick: exportCsv}, "Export CSV")),
      h("div", {class: "list"}));
    await load();
  },
  leave() {
    root = null;
  },
  event(type) {
    if (type === "reset" || type === "poll") load();
  },
};
