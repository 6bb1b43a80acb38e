// The hub's live events (GET /ui/v1/events, server-sent events). EventSource cannot send the
// Authorization header, so the stream is read with fetch() and parsed here; after a break it
// reconnects with Last-Event-ID, so no event is lost while the hub still holds it (else the hub
// sends `reset`: read everything again). Where no stream can be had (all taken: 50301, or a hub
// without the route), `poll` events stand in every few seconds.

import {BASE, authHeaders, login} from "./api.js";

const POLL_MS = 5000;
const RETRY_LIMIT_MS = 30000;

/** Parse one SSE block ("id: …\nevent: …\ndata: …") into {id, event, data, retry}. */
export function parseBlock(block) {
  const out = {id: null, event: "message", data: [], retry: null};
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "id") out.id = value;
    else if (name === "event") out.event = value;
    else if (name === "data") out.data.push(value);
    else if (name === "retry" && /^\d+$/.test(value)) out.retry = Number(value);
  }
  out.data = out.data.join("\n");
  return out;
}

/**
 * Start reading; `onEvent(type, data)` gets each event (and `poll` while no stream can be had),
 * `onState(text)` what the operator sees: "live", "reconnecting…", "polling every 5 s".
 */
export function connect(onEvent, onState) {
  let lastId = null;
  let retryMs = 3000;

  async function read(resp) {
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.search(/\r\n\r\n|\n\n|\r\r/)) >= 0) {
        const block = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end).replace(/^(\r\n\r\n|\n\n|\r\r)/, "");
        if (block.retry !== null) retryMs = block.retry;
        if (block.id) lastId = block.id;
        if (!block.data) continue;
        const data = JSON.parse(block.data);
        if (block.event === "closed" && data.code === 40101) {
          await login(data.message);
          return;
        }
        onEvent(block.event, data);
      }
    }
  }

  async function poll(until) {
    while (Date.now() < until) {
      await new Promise((done) => setTimeout(done, POLL_MS));
      onEvent("poll", {});
    }
  }

  async function run() {
    for (;;) {
      let wait = retryMs;
      try {
        const resp = await fetch(`${BASE}/events`, {cache: "no-store",
          headers: authHeaders(lastId ? {"Last-Event-ID": lastId} : {})});
        if ((resp.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
          onState("live");
          await read(resp);
        } else {
          const env = await resp.json();
          if (env.code === 40101) {
            await login(env.message);
            continue;
          }
          // No stream to be had now: poll, and try the stream again now and then.
          onState("polling every 5 s");
          await poll(Date.now() + RETRY_LIMIT_MS);
          wait = 0;
        }
      } catch {
        // The hub went away or the stream broke: say so, wait, reconnect.
      }
      onState("reconnecting…");
      await new Promise((done) => setTimeout(done, wait));
    }
  }

  run();
}
