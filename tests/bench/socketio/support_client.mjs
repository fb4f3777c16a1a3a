// Load generator for tests/bench/support.ts, the same for both stacks: `ours` speaks ChatCRM's
// WebSocket protocol with `ws`, `sio` uses socket.io-client (websocket only). Usage:
//   node support_client.mjs <config.json>
// Config: {mode, urlA, urlB, conversations: [{roomId, customer: token, agent: index}],
//   agents: [token], serverPids: [A, B], clkTck, rates[], seconds, p99LimitMs, allSteps?}
// Customers connect to instance A, agents to instance B (each agent in several conversations).
// Each message: the writer sends `typing`, then `send-message`; the other side, on delivery,
// answers `mark-read` with the message's seq. The two sides take turns in each conversation.
// Steps up the offered rate (messages per second over all conversations) until a step's p99
// passes p99LimitMs or loses a message. One JSON line per phase on stdout: {phase: "idle"} then
// {phase: "step"} per rate.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createRequire } from "node:module";
import { batched, procCpuSeconds, quantile, rssKb, sleep, withTimeout } from "./common.mjs";
// The packages come from ./node_modules through Node; loaded by require so that `deno check
// tests/` (which walks this directory too) does not look for them in deno.json.
const require = createRequire(import.meta.url);
const WebSocket = require("ws");
const { io } = require("socket.io-client");

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const [pidA, pidB] = cfg.serverPids;
const cpu = () => [procCpuSeconds(pidA, cfg.clkTck), procCpuSeconds(pidB, cfg.clkTck)];

// --- clients: {join(roomId), typing(roomId), send(roomId, text, cmid), read(roomId, seq)} -------

/** ChatCRM: frames {event, data, id}; `onMessage(text, roomId, seq)`, `onAck(ok)`. */
function oursClient(url, token, onMessage, onAck) {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/ws?token=${encodeURIComponent(token)}`);
  let counter = 0;
  const waiting = new Map();
  let connected;
  const ready = new Promise((resolve, reject) => {
    connected = resolve;
    ws.on("error", reject);
    ws.on("close", (code) => reject(new Error(`closed ${code}`)));
  });
  ws.on("message", (raw) => {
    const f = JSON.parse(raw.toString());
    if (f.event === "message-received") {
      const m = f.data.message;
      onMessage(m.text, m.roomId, m.seq);
    } else if (f.event === "ack" || f.event === "error") {
      const w = waiting.get(f.id);
      if (w) {
        waiting.delete(f.id);
        w(f);
      } else if (typeof f.id === "string" && f.id.startsWith("m")) onAck(f.event === "ack");
    } else if (f.event === "connected") connected();
  });
  const frame = (event, data, id) => ws.send(JSON.stringify({ event, data, id }));
  const client = {
    join: (roomId) =>
      new Promise((resolve, reject) => {
        const id = `j${++counter}`;
        waiting.set(id, (f) => f.event === "ack" ? resolve() : reject(new Error(f.error.code)));
        frame("join-room", { roomId }, id);
      }),
    // No id, as the seed's client emits it without a callback: neither side answers it.
    typing: (roomId) => frame("typing", { roomId, isTyping: true }),
    send: (roomId, text, clientMessageId) =>
      frame("send-message", { roomId, message: text, clientMessageId }, `m${++counter}`),
    read: (roomId, seq) => frame("mark-read", { roomId, seq }, `r${++counter}`),
    close: () => ws.terminate(),
  };
  return withTimeout(ready, 30_000, "ours connect").then(() => client);
}

/** Socket.IO: one manager per socket (as separate browsers would), the token in `auth`. */
function sioClient(url, token, onMessage, onAck) {
  const socket = io(url, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    auth: { token },
  });
  socket.on("message-received", (d) => onMessage(d.message.text, d.message.roomId, d.message.seq));
  const client = {
    join: (roomId) =>
      withTimeout(
        new Promise((resolve, reject) =>
          socket.emit("join-room", { roomId }, (r) =>
            r?.error ? reject(new Error(r.error)) : resolve())
        ),
        30_000,
        "join",
      ),
    typing: (roomId) => socket.emit("typing", { roomId, isTyping: true }),
    send: (roomId, text, clientMessageId) =>
      socket.emit(
        "send-message",
        { roomId, message: text, clientMessageId },
        (r) => onAck(!r?.error),
      ),
    read: (roomId, seq) => socket.emit("mark-read", { roomId, seq }, () => {}),
    close: () => socket.disconnect(),
  };
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(client));
      socket.once("connect_error", reject);
    }),
    30_000,
    "sio connect",
  );
}

const connect = cfg.mode === "ours" ? oursClient : sioClient;

// --- the desk ------------------------------------------------------------------------------------

let step = -1;
let lat = new Float64Array(0);
let received = 0;
let stale = 0;
let lastReceiveAt = 0;
let acks = 0;
let sendErrors = 0;

/** A delivery to `side` (0 customer, 1 agent): count it if the other side wrote it this step. */
function delivered(side, client, text, roomId, seq) {
  const [tag, from, sentAt] = text.split("|");
  if (Number(from) === side) return; // the writer's own copy
  const now = performance.now();
  if (Number(tag) !== step) {
    stale++;
  } else {
    if (received < lat.length) lat[received] = now - Number(sentAt);

    received++;
    lastReceiveAt = now;
  }
  client.read(roomId, seq);
}
const onAck = (ok) => ok ? acks++ : sendErrors++;

const n = cfg.conversations.length;
const agents = new Array(cfg.agents.length);
const customers = new Array(n);
/** Connects conversations [from, to) (their customers and agents) and joins their rooms. */
async function open(from, to) {
  await batched(to - from, 50, async (k) => {
    const i = from + k;
    const c = cfg.conversations[i];
    if (!agents[c.agent]) {
      agents[c.agent] = connect(
        cfg.urlB,
        cfg.agents[c.agent],
        (t, r, s) => delivered(1, agents[c.agent], t, r, s),
        onAck,
      ).then((client) => agents[c.agent] = client);
    }
    customers[i] = await connect(
      cfg.urlA,
      c.customer,
      (t, r, s) => delivered(0, customers[i], t, r, s),
      onAck,
    );
    await customers[i].join(c.roomId);
    await (await agents[c.agent]).join(c.roomId);
  });
}
// The first tenth warms each stack up (code compiled, pools and caches filled); the memory per
// idle conversation is the RSS growth of both instances over the other nine tenths.
const warm = Math.max(1, Math.floor(n / 10));
await open(0, warm);
await sleep(1000);
const rss0 = [rssKb(pidA), rssKb(pidB)];
await open(warm, n);
await sleep(2000);
const rss1 = [rssKb(pidA), rssKb(pidB)];
out({
  phase: "idle",
  conversations: n - warm,
  agents: agents.length,
  rssBeforeKb: rss0,
  rssAfterKb: rss1,
});

/** Offers `rate` messages/s for `seconds`, open-loop; resolves with what was sent. */
async function offer(rate, seconds, tag) {
  let sent = 0;
  const start = performance.now();
  const total = Math.round(rate * seconds);
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      while (sent < due) {
        // The customer writes, then the agent answers, conversation after conversation.
        const i = Math.floor(sent / 2) % n;
        const side = sent % 2;
        const c = cfg.conversations[i];
        const writer = side === 0 ? customers[i] : agents[c.agent];
        writer.typing(c.roomId);
        writer.send(
          c.roomId,
          `${tag}|${side}|${performance.now()}`,
          `s${process.pid}-${tag}-${sent}`,
        );
        sent++;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  return { sent, sendSeconds: (performance.now() - start) / 1000 };
}

/** Waits until `expected` deliveries arrived, or nothing arrived for 3 s (20 s at most). */
async function drain(expected) {
  const until = performance.now() + 20_000;
  while (received < expected && performance.now() < until) {
    const before = received;
    await sleep(100);
    if (received === before && performance.now() - lastReceiveAt > 3000) break;
  }
}

// Warm-up (JIT, statement caches), not measured.
step = 1000;
{
  const { sent } = await offer(Math.min(100, ...cfg.rates), 2, step);
  await drain(sent);
}
await sleep(500);

for (const [i, rate] of cfg.rates.entries()) {
  step = i;
  received =
    stale =
    acks =
    sendErrors =
      0;
  lat = new Float64Array(Math.round(rate * cfg.seconds));
  const cpu0 = cpu();
  const t0 = performance.now();
  const { sent, sendSeconds } = await offer(rate, cfg.seconds, i);
  await drain(sent);
  // Acks trail the last delivery by a little: wait for them (at most 2 s more).
  for (let w = 0; w < 20 && acks + sendErrors < sent; w++) await sleep(100);
  const cpu1 = cpu();
  const seconds = (Math.max(lastReceiveAt, t0) - t0) / 1000;
  const sorted = lat.subarray(0, Math.min(received, lat.length)).sort();
  const r = {
    phase: "step",
    rate,
    sent,
    offeredPerSecond: sent / sendSeconds,
    received,
    lost: sent - received,
    stale,
    acks,
    sendErrors,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    cpuA: cpu1[0] - cpu0[0],
    cpuB: cpu1[1] - cpu0[1],
    seconds,
  };
  out(r);
  console.error(
    `bench: support ${cfg.mode} @ ${rate} msg/s: p50 ${r.p50.toFixed(1)} p99 ${
      r.p99.toFixed(1)
    } max ${r.max.toFixed(1)} ms, lost ${r.lost}, ` +
      `errors ${sendErrors}, CPU ${
        (((r.cpuA + r.cpuB) / Math.max(1, sent)) * 1e6).toFixed(0)
      } µs/msg`,
  );
  // allSteps (SUPPORT_ALL_STEPS=1): every rate runs, for a profiler attached meanwhile (its start
  // stalls the instance, which would fail the step and end the run).
  if (!cfg.allSteps && (!(r.p99 <= cfg.p99LimitMs) || r.lost > 0 || sendErrors > 0)) break;
  await sleep(1000);
}

for (const c of [...customers, ...agents]) c.close();
process.exit(0);
