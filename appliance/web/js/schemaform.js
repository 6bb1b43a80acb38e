// A form generated from a script's JSON Schema (its `script_config`, as the hub publishes it in
// the OpenAPI document under components.schemas "ScriptConfig.<name>"), and the value read back.
// Kinds handled: boolean, enum, number/integer, string, array of strings (one per line);
// anything else is edited as JSON.

import {field, h} from "./dom.js";

/** "like_probable" -> "Like probable". */
export const humanize = (name) => name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

function types(prop) {
  return Array.isArray(prop.type) ? prop.type : [prop.type];
}

function control(name, prop, value) {
  const kinds = types(prop);
  if (prop.enum) {
    return h("select", {name}, prop.enum.map((option, i) =>
      h("option", {value: String(i), selected: option === value}, String(option === "" ? "(none)" : option))));
  }
  if (kinds.includes("boolean")) return h("input", {type: "checkbox", name, checked: value === true});
  if (kinds.includes("number") || kinds.includes("integer")) {
    const low = prop.minimum ?? prop.exclusiveMinimum;
    return h("input", {type: "number", name, inputmode: "decimal", value: value ?? "",
      min: low, max: prop.maximum ?? prop.exclusiveMaximum,
      step: kinds.includes("integer") ? "1" : "any"});
  }
  if (kinds.includes("array") || (kinds.includes("string") && (prop.maxLength || 0) >= 1000)) {
    const text = Array.isArray(value) ? value.join("\n") : (value ?? "");
    return h("textarea", {name, rows: "3", value: text});
  }
  if (kinds.includes("string")) return h("input", {type: "text", name, value: value ?? ""});
  return h("textarea", {name, rows: "3", value: value === undefined ? "" : JSON.stringify(value)});
}

/**
 * The fields of `schema` filled from `values` (else the defaults), in a fieldset; `read()` gives
 * the config to send: empty optional fields are left out (the hub applies its defaults).
 */
export function schemaForm(schema, values = {}) {
  const required = new Set(schema.required || []);
  const props = Object.entries(schema.properties || {});
  const box = h("div", {class: "schema-form"}, props.map(([name, prop]) => {
    const input = control(name, prop, name in values ? values[name] : prop.default);
    input.dataset.configField = name;
    if (required.has(name)) input.required = true;
    const label = humanize(name) + (required.has(name) ? " (required)" : "");
    return field(label, input, prop.description);
  }));
  if (!props.length) box.append(h("p", {class: "hint"}, "This script has no options."));

  function read() {
    const out = {};
    for (const [name, prop] of props) {
      const input = box.querySelector(`[data-config-field="${CSS.escape(name)}"]`);
      const kinds = types(prop);
      if (prop.enum) out[name] = prop.enum[Number(input.value)];
      else if (kinds.includes("boolean")) out[name] = input.checked;
      else if (input.value.trim() === "") {
        if (required.has(name)) out[name] = "";
        else if (kinds.includes("array") && !kinds.includes("string")) out[name] = [];
        else if (kinds.includes("string")) out[name] = "";
      } else if (kinds.includes("number") || kinds.includes("integer")) out[name] = Number(input.value);
      else if (kinds.includes("array") && !kinds.includes("string")) {
        out[name] = input.value.split("\n").map((line) => line.trim()).filter(Boolean);
      } else if (kinds.includes("string")) out[name] = input.value;
      else out[name] = JSON.parse(input.value);
    }
    return out;
  }

  /** Focus the input named by an error's field ("script_config.min_duration"). */
  function focus(fieldPath) {
    const name = String(fieldPath || "").replace(/^script_config\./, "");
    const input = box.querySelector(`[data-config-field="${CSS.escape(name)}"]`);
    if (input) input.focus();
    return Boolean(input);
  }

  return {node: box, read, focus};
}
