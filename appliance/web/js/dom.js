// Small DOM helpers. Data from the hub (remarks, usernames, phone names, logs) only ever goes in
// as text: `h` makes text nodes of strings and never sets innerHTML.

/**
 * h("button", {class: "primary", onclick: fn, "aria-label": "Stop"}, "Stop") -> element.
 * Props: `class`, `text`, `on<event>` (a listener), `dataset` (object), booleans set the
 * property (`checked`, `disabled`, `hidden`, `selected`, `required`), others are attributes.
 * Children: nodes, strings (as text), arrays, and null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (value === true) {
      if (key in node) node[key] = true;
      else node.setAttribute(key, "");
    } else if (key === "value") node.value = String(value);
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let uid = 0;
/** A fresh id for label/aria links. */
export const newId = (prefix = "f") => `${prefix}-${++uid}`;

/** A labelled field: <div class="field"><label>…</label>control<small>hint</small></div>. */
export function field(label, control, hint) {
  control.id = control.id || newId();
  const hintNode = hint ? h("small", {class: "hint", id: newId("hint")}, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  const isBox = control.type === "checkbox" || control.type === "radio";
  return h("div", {class: isBox ? "field check" : "field"},
    isBox ? control : null, h("label", {for: control.id}, label), isBox ? null : control, hintNode);
}

/** A local date and time from an ISO string (the hub's times are UTC). */
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/** "12 s ago", "4 min ago", "3 h ago", "2 d ago" from a moment in epoch milliseconds. */
export function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A short message in the polite live region; errors also go to the console log. */
export function notify(text, kind = "info") {
  const box = document.getElementById("notices");
  const note = h("p", {class: `notice ${kind}`}, text,
    h("button", {type: "button", class: "link", "aria-label": "Dismiss",
      onclick: () => note.remove()}, "×"));
  box.append(note);
  setTimeout(() => note.remove(), kind === "error" ? 15000 : 5000);
}

/** An error (ApiError or other) as a sentence; `what` says what was being done. */
export function failed(what, err) {
  notify(`${what}: ${err.message}`, "error");
}

/** Save a Blob as a file. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", {href: url, download: name, hidden: true});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Copy text; falls back to a selected textarea where the Clipboard API is missing (plain
 * http to a LAN address is not a secure context). */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h("textarea", {class: "offscreen", "aria-hidden": "true"});
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

/** A modal dialog; resolves to the value of the button pressed ("" when closed by Escape). */
export function modal(title, body, buttons) {
  const titleId = newId("dlg");
  const dialog = h("dialog", {"aria-labelledby": titleId},
    h("form", {method: "dialog"},
      h("h2", {id: titleId}, title),
      body,
      h("div", {class: "actions"}, buttons.map(([label, value, cls]) =>
        h("button", {value, class: cls || null}, label)))));
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue);
      dialog.remove();
    });
    dialog.showModal();
  });
}

/** Ask before something that cannot be undone; resolves true on OK. */
export async function confirmed(question, action = "OK") {
  return (await modal("Please confirm", h("p", {}, question),
    [["Cancel", "cancel"], [action, "ok", "danger"]])) === "ok";
}

/** A table in a labelled region; on narrow screens each row shows as a card, each cell named by
 * its column (data-label). */
export function table(label, headers, rows, {empty = "Nothing here yet."} = {}) {
  const names = headers.map((name) => (typeof name === "string" ? name : ""));
  for (const row of rows) {
    [...row.cells].forEach((cell, i) => { if (names[i]) cell.dataset.label = names[i]; });
  }
  const body = h("tbody", {}, rows);
  if (!rows.length) body.append(h("tr", {}, h("td", {colspan: headers.length, class: "empty"}, empty)));
  return h("div", {class: "scroll", role: "region", "aria-label": label, tabindex: "0"},
    h("table", {}, h("thead", {}, h("tr", {}, headers.map((name) =>
      typeof name === "string" ? h("th", {scope: "col"}, name) : name))), body));
}

/** `fn` run once, `ms` after the first of a burst of calls (live events come in bursts). */
export function coalesce(fn, ms) {
  let timer = null;
  return () => {
    if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    }
  };
}
