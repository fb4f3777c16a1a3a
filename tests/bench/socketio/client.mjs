// Load generator for tests/bench/realtime.ts, the same for both stacks: `ours` speaks ChatCRM's
// WebSocket protocol with `ws`; `sio` uses socket.io-client over websocket only. Usage:
//   node client.mjs <config.json>
// Config: {mode, urlA, urlB, roomId, senderTokens[], receiverTokens[], idleTokens[], idleCount,
//   serverPids: [A, B], redisPid, clkTck, rates[], seconds, stopAboveP99Ms?, protocol?}
// `protocol: "batched"` makes `ours` speak the batched wire mode (subprotocol chatcrm.batch.v1:
// a server frame may hold several events, one JSON envelope a line); else one event a frame.
// Senders connect to instance A, receivers to B; each step sends open-loop at `rate` msg/s for
// `seconds`, the send time (performance.now) carried in the text. One JSON line per phase on
// stdout: {phase: "idle", ...} (when idleCount > 0) then {phase: "step", ...} for each rate.
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { batched, procCpuSeconds, quantile, rssKb, sleep, withTimeout } from "./common.mjs";
// The packages come from ./node_modules through Node; imported dynamically so that `deno check
// tests/` (which walks this directory too) does not look for them in deno.json.
const load = (name) => import(name);
const { default: WebSocket } = await load("ws");
const { io } = await load("socket.io-client");

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

/** Seconds the threads of a process waited on a run queue (/proc/<pid>/task/<tid>/schedstat). */
function runQueueWaitSeconds(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[1]);
      } catch {
        // the thread ended
      }
    }
    return ns / 1e9;
  } catch {
    return NaN;
  }
}
/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineBusySeconds() {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(
      Number,
    );
    // user nice system idle iowait irq softirq steal
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / cfg.clkTck;
  } catch {
    return NaN;
  }
}
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// --- a client of either stack: {send(roomId, text, cmid), join(roomId), close()} ---------------

const batchedProtocol = "chatcrm.batch.v1";
const batchedWire = cfg.protocol === "batched";

/** ChatCRM: frames {event, data, id}; resolves once the server's `connected` frame came. */
function oursClient(url, token, onMessage, onAck) {
  const ws = new WebSocket(
    `${url.replace(/^http/, "ws")}/ws?token=${encodeURIComponent(token)}`,
    batchedWire ? [batchedProtocol] : [],
  );
  let counter = 0;
  const waiting = new Map();
  const sentTimes = new Map();
  let connected;
  const ready = new Promise((resolve, reject) => {
    connected = resolve;
    ws.on("error", reject);
    ws.on("close", (code) => reject(new Error(`closed ${code}`)));
  });
  ws.on("message", (raw) => {
    const text = raw.toString();
    if (!batchedWire) return handle(JSON.parse(text));
    for (const line of text.split("\n")) handle(JSON.parse(line));
  });
  function handle(f) {
    if (f.event === "message-received") onMessage?.(f.data.message.text);
    else if (f.event === "connected") connected();
    else if (f.event === "ack" || f.event === "error") {
      const w = waiting.get(f.id);
      if (w) {
        waiting.delete(f.id);
        w(f);
      } else {
        const sentAt = sentTimes.get(f.id);
        sentTimes.delete(f.id);
        onAck?.(f.event === "ack", sentAt);
      }
    }
  }
  const client = {
    ws,
    request(event, data) {
      const id = `q${++counter}`;
      return new Promise((resolve, reject) => {
        waiting.set(
          id,
          (f) => f.event === "ack" ? resolve(f.data) : reject(new Error(f.error.code)),
        );
        ws.send(JSON.stringify({ event, data, id }));
      });
    },
    join: (roomId) => client.request("join-room", { roomId }),
    send(roomId, text, clientMessageId) {
      const id = ++counter;
      sentTimes.set(id, performance.now());
      ws.send(JSON.stringify({
        event: "send-message",
        data: { roomId, message: text, clientMessageId },
        id,
      }));
    },
    close: () => ws.terminate(),
  };
  return withTimeout(ready, 20_000, "ours connect").then(() => client);
}

/** Socket.IO: websocket transport only, one manager per socket (as separate browsers would). */
function sioClient(url, _token, onMessage, onAck) {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  if (onMessage) socket.on("message-received", (data) => onMessage(data.message.text));
  const client = {
    socket,
    join: (roomId) =>
      withTimeout(
        new Promise((resolve) => socket.emit("join-room", { roomId }, resolve)),
        20_000,
        "join",
      ),
    send(roomId, text, clientMessageId) {
      const sentAt = performance.now();
      socket.emit(
        "send-message",
        { roomId, message: text, clientMessageId },
        () => onAck?.(true, sentAt),
      );
    },
    close: () => socket.disconnect(),
  };
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(client));
      socket.once("connect_error", reject);
    }),
    20_000,
    "sio connect",
  );
}

const connect = cfg.mode === "ours" ? oursClient : sioClient;
const [pidA, pidB] = cfg.serverPids;

// --- idle sockets: RSS of instance A before and after `idleCount` connected, idle sockets -----

if (cfg.idleCount > 0) {
  await sleep(1000);
  const before = rssKb(pidA);
  const idle = await batched(
    cfg.idleCount,
    100,
    (i) => connect(cfg.urlA, cfg.idleTokens[i % cfg.idleTokens.length]),
  );
  await sleep(3000);
  const after = rssKb(pidA);
  for (const c of idle) c.close();
  out({ phase: "idle", count: idle.length, rssBeforeKb: before, rssAfterKb: after });
  await sleep(1500);
}

// --- the room: receivers on B, senders on A -----------------------------------------------------

let step = -1;
let lat = new Float64Array(0);
let received = 0;
let lastReceiveAt = 0;
let stale = 0;
function onMessage(text) {
  const now = performance.now();
  const bar = text.indexOf("|");
  if (Number(text.slice(0, bar)) !== step) {
    stale++;
    return;
  }
  if (received < lat.length) lat[received] = now - Number(text.slice(bar + 1));
  received++;
  lastReceiveAt = now;
}
let acks = 0;
let sendErrors = 0;
let ackLat = [];
const onAck = (ok, sentAt) => {
  if (!ok) return sendErrors++;
  acks++;
  if (sentAt !== undefined) ackLat.push(performance.now() - sentAt);
};

if (!cfg.rates.length) process.exit(0);

const receivers = await batched(
  cfg.receiverTokens.length,
  50,
  (i) => connect(cfg.urlB, cfg.receiverTokens[i], onMessage),
);
await batched(receivers.length, 50, (i) => receivers[i].join(cfg.roomId));
const senders = await batched(
  cfg.senderTokens.length,
  50,
  (i) => connect(cfg.urlA, cfg.senderTokens[i], undefined, onAck),
);
const nReceivers = receivers.length;

/** Sends open-loop at `rate` for `seconds`, spread over the senders; resolves with the count. */
async function offer(rate, seconds, tag) {
  let sent = 0;
  const start = performance.now();
  const total = Math.round(rate * seconds);
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      while (sent < due) {
        const s = senders[sent % senders.length];
        s.send(cfg.roomId, `${tag}|${performance.now()}`, `m${process.pid}-${tag}-${sent}`);
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

/** Waits until `expected` deliveries arrived, or nothing arrived for 3 s (15 s at most). */
async function drain(expected) {
  const until = performance.now() + 15_000;
  while (received < expected && performance.now() < until) {
    const before = received;
    await sleep(100);
    if (received === before && performance.now() - lastReceiveAt > 3000) break;
  }
}

// Warm-up (JIT, connection pools), not measured.
step = 1000;
lat = new Float64Array(0);
{
  const { sent } = await offer(Math.min(200, ...cfg.rates), 1, step);
  await drain(sent * nReceivers);
}
await sleep(500);

for (let i = 0; i < cfg.rates.length; i++) {
  const rate = cfg.rates[i];
  step = i;
  received = 0;
  stale = 0;
  acks = 0;
  ackLat = [];
  sendErrors = 0;
  lat = new Float64Array(Math.round(rate * cfg.seconds) * nReceivers);
  const cpu0 = [
    procCpuSeconds(pidA, cfg.clkTck),
    procCpuSeconds(pidB, cfg.clkTck),
    procCpuSeconds(cfg.redisPid, cfg.clkTck),
    selfCpu(),
    machineBusySeconds(),
    runQueueWaitSeconds(pidA),
    runQueueWaitSeconds(pidB),
  ];
  const t0 = performance.now();
  const { sent, sendSeconds } = await offer(rate, cfg.seconds, i);
  await drain(sent * nReceivers);
  const seconds = (Math.max(lastReceiveAt, t0) - t0) / 1000;
  const cpu1 = [
    procCpuSeconds(pidA, cfg.clkTck),
    procCpuSeconds(pidB, cfg.clkTck),
    procCpuSeconds(cfg.redisPid, cfg.clkTck),
    selfCpu(),
    machineBusySeconds(),
    runQueueWaitSeconds(pidA),
    runQueueWaitSeconds(pidB),
  ];
  const sorted = lat.subarray(0, Math.min(received, lat.length)).sort();
  const r = {
    phase: "step",
    rate,
    receivers: nReceivers,
    senders: senders.length,
    sent,
    offeredPerSecond: sent / sendSeconds,
    expected: sent * nReceivers,
    received,
    lost: sent * nReceivers - received,
    stale,
    acks,
    ackP50: quantile(ackLat.sort((a, b) => a - b), 0.5),
    ackP99: quantile(ackLat, 0.99),
    sendErrors,
    deliveredPerSecond: received / seconds,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    cpuA: cpu1[0] - cpu0[0],
    cpuB: cpu1[1] - cpu0[1],
    cpuRedis: cpu1[2] - cpu0[2],
    cpuLoad: cpu1[3] - cpu0[3],
    // Time the servers' threads were runnable but waited for a core.
    waitA: cpu1[5] - cpu0[5],
    waitB: cpu1[6] - cpu0[6],
    // CPU the rest of the machine used meanwhile (other processes: not part of either stack).
    cpuOthers: Math.max(
      0,
      (cpu1[4] - cpu0[4]) - (cpu1[0] - cpu0[0]) - (cpu1[1] - cpu0[1]) -
        (cpu1[2] - cpu0[2]) - (cpu1[3] - cpu0[3]),
    ),
    seconds,
  };
  out(r);
  console.error(
    `bench: ${cfg.mode} @ ${rate} msg/s: p99 ${r.p99.toFixed(1)} ms, lost ${r.lost}, ` +
      `${Math.round(r.deliveredPerSecond)} deliveries/s`,
  );
  if (cfg.stopAboveP99Ms !== undefined && !(r.p99 <= cfg.stopAboveP99Ms)) break;
  await sleep(1000);
}

for (const c of [...receivers, ...senders]) c.close();
process.exit(0);
