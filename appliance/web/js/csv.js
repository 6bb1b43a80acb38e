// Accounts as CSV, the same columns and rules as `appliance accounts import|export`
// (appliance/cli/accounts.py): username, device, enabled, logged_in, package_name, tags
// (separated by ';'), email, and password on import only (the hub never gives one back).

export const COLUMNS = ["username", "device", "enabled", "logged_in", "package_name", "tags", "email"];
export const IMPORT_COLUMNS = [...COLUMNS, "password"];
const TRUE = new Set(["1", "true", "yes", "on", "y"]);
const FALSE = new Set(["0", "false", "no", "off", "n"]);

/** RFC 4180 rows (quoted fields, doubled quotes, CRLF or LF); a BOM is dropped. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  text = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (quoted) throw new Error("the file ends inside a quoted cell: save it as CSV and import again");
  if (cell !== "" || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => r.some((value) => value.trim() !== ""));
}

/**
 * Account bodies from CSV text: {bodies, ignored} (ignored: unknown columns). Empty cells are
 * left out (the hub's defaults apply). Throws an Error naming the line on a bad cell.
 */
export function accountsFromCsv(text) {
  const [header, ...rows] = parseCsv(text);
  const names = (header || []).map((name) => name.trim());
  if (!names.includes("username")) throw new Error("the CSV needs a header row with a 'username' column");
  const ignored = names.filter((name) => !IMPORT_COLUMNS.includes(name));
  const bodies = rows.map((cells, index) => {
    const line = index + 2;
    const body = {};
    names.forEach((key, col) => {
      if (!IMPORT_COLUMNS.includes(key)) return;
      const raw = cells[col] ?? "";
      const value = key === "password" ? raw : raw.trim();
      if (value === "") return;
      if (key === "enabled" || key === "logged_in") {
        const word = value.toLowerCase();
        if (!TRUE.has(word) && !FALSE.has(word)) throw new Error(`line ${line}: ${key} must be true or false, not "${value}"`);
        body[key] = TRUE.has(word);
      } else if (key === "tags") {
        body[key] = value.replace(/\|/g, ";").split(";").map((t) => t.trim()).filter(Boolean);
      } else body[key] = value;
    });
    if (!body.username) throw new Error(`line ${line}: the username cell is empty`);
    return body;
  });
  return {bodies, ignored};
}

function cell(value) {
  const text = String(value ?? "");
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV text of accounts (the export columns, CRLF as Excel writes it). */
export function accountsToCsv(accounts) {
  const lines = [COLUMNS.join(",")];
  for (const a of accounts) {
    lines.push([a.username, a.device || "", String(Boolean(a.enabled)), String(Boolean(a.logged_in)),
      a.package_name || "", (a.tags || []).join(";"), a.email || ""].map(cell).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}
