// Calls to the hub's operator surface (/ui/v1): open on every plan, same token rule as the API.
// The token (asked for only when a call answers 40101) lives in sessionStorage and goes in the
// Authorization header, never in a URL.

export const BASE = "/ui/v1";
const TOKEN_KEY = "appliance.token";

export class ApiError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

let askToken = null;      // set by the app: (why) => Promise of the token the operator typed
let asking = null;        // one login form at a time, whoever asked first

export function onTokenNeeded(ask) {
  askToken = ask;
}

export function authHeaders(extra = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? {...extra, Authorization: `Bearer ${token}`} : {...extra};
}

/** Ask for the token (one form for all callers waiting), then keep it for this tab. */
export async function login(why) {
  if (!asking) {
    asking = askToken(why).then((token) => {
      sessionStorage.setItem(TOKEN_KEY, token);
      asking = null;
    });
  }
  return asking;
}

async function readJson(resp) {
  try {
    return await resp.json();
  } catch {
    return {code: resp.status, message: `The hub answered HTTP ${resp.status}.`, data: null};
  }
}

/**
 * One call; resolves to the envelope's data, rejects with ApiError. `raw`: resolve to the
 * Response itself when it is not JSON (a screenshot, a UI dump); `envelope: false`: resolve to
 * the JSON as it is (the OpenAPI document); `base`: another prefix than the operator surface.
 */
export async function call(method, path, body, {raw = false, base = BASE, envelope: wrapped = true} = {}) {
  for (;;) {
    const headers = authHeaders(body === undefined ? {} : {"Content-Type": "application/json"});
    let resp;
    try {
      resp = await fetch(base + path, {method, headers, cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body)});
    } catch {
      throw new ApiError(0, "The hub does not answer (is it running, is the network up?).", null);
    }
    const json = (resp.headers.get("Content-Type") || "").startsWith("application/json");
    if (raw && resp.ok && !json) return resp;
    const env = await readJson(resp);
    if (env.code === 40101) {
      await login(env.message);
      continue;
    }
    if (!wrapped && resp.ok) return env;
    if (env.code !== 0) throw new ApiError(env.code, env.message, env.data);
    return env.data;
  }
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body === undefined ? {} : body);
export const patch = (path, body) => call("PATCH", path, body);
export const del = (path, body) => call("DELETE", path, body);

/** A query string from the set values of `params` ("" when none). */
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") q.set(key, String(value));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

/** Every page of a listing (`key`: the array in each page's data). */
export async function all(path, key, pageSize = 1000) {
  const out = [];
  for (let page = 1; ; page += 1) {
    const sep = path.includes("?") ? "&" : "?";
    const data = await get(`${path}${sep}page=${page}&page_size=${pageSize}`);
    out.push(...data[key]);
    if (out.length >= data.total || data[key].length === 0) return out;
  }
}

/** The hub's published script_config schemas, by script name (from the OpenAPI document). */
let scripts = null;
export function scriptSchemas() {
  if (!scripts) {
    scripts = call("GET", "/api/v1/openapi.json", undefined, {base: "", envelope: false})
      .then((doc) => {
        const out = {};
        for (const [name, schema] of Object.entries(doc.components.schemas)) {
          if (name.startsWith("ScriptConfig.")) out[name.slice("ScriptConfig.".length)] = schema;
        }
        if (!Object.keys(out).length) throw new Error("the hub's OpenAPI document names no script");
        return out;
      });
    scripts.catch(() => { scripts = null; });
  }
  return scripts;
}

/** The overview: version, plan, task counts, whether adb is on. */
export const overview = () => call("GET", "/ui/overview", undefined, {base: ""});
