/**
 * Realtime benchmark (issue 4, "Performance"): two server instances on one real Redis, receivers
 * on instance B, senders on instance A, for our stack (Deno + Hono, `src/main.ts` twice on one
 * SQLite file) and for the seed's (Node + Socket.IO 4.8 + `@socket.io/redis-adapter`, kept in
 * tests/bench/socketio/). One Node load generator (tests/bench/socketio/client.mjs) drives both,
 * `ws` for ours and socket.io-client (websocket only) for theirs, so the client side costs alike.
 *
 * Socket.IO steps the offered rate up alone until its p99 passes 50 ms; at that rate, Socket.IO,
 * ours with plain clients, ours with batched clients (chatcrm.batch.v1, by turn and, on a second
 * pair of instances, with WS_BATCH_DELAY_MS) and the floor of our parts (socket_floor_server.ts, in
 * both wire modes) run in alternating rounds (BENCH_PAIRS, 5), and the rows give each side's
 * medians and each against Socket.IO pair by pair (server CPU per delivery, p99), as
 * tests/bench/rounds.ts describes. Pinning on 2 cores:
 * instance B, which fans every message out to the receivers, alone on core 0; instance A, Redis
 * and the load generator on core 1.
 *
 *   deno task bench realtime                            every side (about ten minutes)
 *   REALTIME_ONLY=ours REALTIME_RATES=50,200 deno task bench realtime    one stack (ours, sio, floor)
 *   REALTIME_V8_FLAGS=--perf-basic-prof,--logfile=/tmp/v8-%p.log    V8 flags for our instances
 *   REALTIME_PIN=0 / REALTIME_RECEIVERS=20 / REALTIME_SENDERS=50    no taskset / other sizes
 *   REALTIME_PROTOCOL=batched    with REALTIME_ONLY=ours: our clients speak the batched wire
 *                                mode (chatcrm.batch.v1); plain (the default): one event a frame
 *   REALTIME_BATCH_DELAY_MS=10   WS_BATCH_DELAY_MS of the second pair of our instances in the
 *                                rounds (default 5), or of ours with REALTIME_ONLY (default 0)
 */
import type { Bench, BenchContext, BenchRow } from "./main.ts";
import { findBinary, freePort, waitForPort } from "@tests/helpers/servers.ts";
import { redisBinary } from "@tests/helpers/redis.ts";
import { openStore } from "@/store/store.ts";
import { uuidv7 } from "@/ids.ts";
import { defaultOrganizationSettings } from "@/modules/organizations/repository.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
import { ensurePeers, peersDir } from "./peers.ts";
import {
  alternate,
  benchPairs,
  clkTck,
  ratios,
  ratioText,
  spread,
  spreadText,
  verdict,
} from "./rounds.ts";

const root = new URL("../../", import.meta.url).pathname;
const sioDir = peersDir;

/** Offered rates (messages/s into one room), stepped up until the seed's p99 passes the limit. */
const rates = (Deno.env.get("REALTIME_RATES") ?? "50,100,200,500,1000,2000").split(",").map(Number);
const p99LimitMs = 50;
const receiverCount = Number(Deno.env.get("REALTIME_RECEIVERS") ?? 200);
const senderCount = Number(Deno.env.get("REALTIME_SENDERS") ?? 10);
const idleCount = 1000;
const stepSeconds = 5;
/**
 * WS_BATCH_DELAY_MS of the rounds' second pair of our instances (batched sockets only): their
 * events wait that long for more before a frame goes. The first pair runs the default, 0 (the
 * events of one turn), and so does the floor.
 */
const batchDelayMs = Deno.env.get("REALTIME_BATCH_DELAY_MS") ?? "5";
const delayedSide = `ours (batched, ${batchDelayMs} ms)` as const;
/** Core of instance B (the fan-out to the receivers, the busiest process), alone. */
const fanOutCore = 0;
/** Core of instance A (the senders' side), Redis and the load generator. */
const clientCore = 1;

/** Our clients' wire mode, from REALTIME_PROTOCOL (read when the bench runs, not at import). */
function wireMode(): "plain" | "batched" {
  const mode = Deno.env.get("REALTIME_PROTOCOL") ?? "plain";
  if (mode !== "plain" && mode !== "batched") {
    throw new Error(`Cannot use REALTIME_PROTOCOL "${mode}": expected plain or batched`);
  }
  return mode;
}

/** Our stack's name in the rows: "ours", or "ours (batched)" in the batched wire mode. */
const named = (stack: "ours" | "socket.io" | "floor") =>
  stack === "ours" && wireMode() === "batched" ? "ours (batched)" : stack;

/** One step of client.mjs's output. */
interface Step {
  rate: number;
  receivers: number;
  senders: number;
  sent: number;
  offeredPerSecond: number;
  expected: number;
  received: number;
  lost: number;
  stale: number;
  acks: number;
  ackP50: number;
  ackP99: number;
  sendErrors: number;
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  cpuA: number;
  cpuB: number;
  cpuRedis: number;
  cpuLoad: number;
  cpuOthers: number;
  waitA: number;
  waitB: number;
  seconds: number;
}

interface Idle {
  count: number;
  rssBeforeKb: number;
  rssAfterKb: number;
}

interface Proc {
  pid: number;
  stop(): Promise<void>;
}

/** REALTIME_PIN=0 leaves every process unpinned. */
const pinning = Deno.env.get("REALTIME_PIN") !== "0";

function pinned(core: number, cmd: string[]): string[] {
  const taskset = pinning ? findBinary("taskset", ["/usr/bin"]) : null;
  return taskset ? [taskset, "-c", String(core), ...cmd] : cmd;
}

/** Pins every thread of a running process to one core (taskset -a). */
async function pinProcess(pid: number, core: number) {
  const taskset = pinning ? findBinary("taskset", ["/usr/bin"]) : null;
  if (!taskset) return;
  await new Deno.Command(taskset, {
    args: ["-a", "-cp", String(core), String(pid)],
    stdout: "null",
  })
    .output();
}

/** Spawns a pinned command; taskset execs, so the child's pid is the measured process. */
function spawnPinned(core: number, cmd: string[], env: Record<string, string>, cwd = root): Proc {
  const [bin, ...args] = pinned(core, cmd);
  const child = new Deno.Command(bin!, {
    args,
    cwd,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid,
    stop: () =>
      stopped ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
        await child.status;
      })(),
  };
}

/** A redis-server of the bench's own (as tests/helpers/redis.ts starts one), pinned. */
export async function startRedis(): Promise<Proc & { url: string }> {
  if (!redisBinary) throw new Error("redis-server is not installed");
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-bench-redis-" });
  const proc = spawnPinned(clientCore, [
    redisBinary,
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
  ], {});
  await waitForPort(port);
  return {
    ...proc,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await proc.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Runs client.mjs on the client core with `config`; returns its idle and step reports. */
async function runClient(
  node: string,
  config: Record<string, unknown>,
): Promise<{ idle?: Idle; steps: Step[] }> {
  const file = await Deno.makeTempFile({ prefix: "chatcrm-bench-rt-", suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify({ clkTck, ...config }));
    const [bin, ...args] = pinned(clientCore, [node, "client.mjs", file]);
    const { code, stdout } = await new Deno.Command(bin!, {
      args,
      cwd: sioDir,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const lines = new TextDecoder().decode(stdout).split("\n").filter(Boolean)
      .map((l) => JSON.parse(l) as { phase: string });
    if (code !== 0) throw new Error(`client.mjs exited with ${code}`);
    const idle = lines.find((l) => l.phase === "idle") as unknown as Idle | undefined;
    return {
      ...(idle ? { idle } : {}),
      steps: lines.filter((l) => l.phase === "step") as unknown as Step[],
    };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/** Two running instances on one Redis, and what client.mjs needs to drive them. */
interface Stack {
  client: Record<string, unknown>;
  stop(): Promise<void>;
}

/** Connects `idleCount` idle sockets to instance A and reports its RSS before and after. */
async function measureIdle(node: string, stack: Stack): Promise<Idle> {
  const { idle } = await runClient(node, { ...stack.client, idleCount, rates: [] });
  if (!idle) throw new Error("client.mjs reported no idle phase");
  return idle;
}

/** One step at `rate` msg/s (receivers and senders connect afresh, then a short warm-up). */
async function measureStep(node: string, stack: Stack, rate: number): Promise<Step> {
  const { steps } = await runClient(node, {
    ...stack.client,
    idleCount: 0,
    rates: [rate],
    seconds: stepSeconds,
  });
  if (!steps[0]) throw new Error("client.mjs reported no step");
  return steps[0];
}

/**
 * Two relays on one Redis: the seed's stack (server.mjs, Socket.IO) or the floor of our own parts
 * (socket_floor_server.ts: bare Deno sockets and ioredis, no store, no auth), driven as `sio` or
 * as `ours` in our wire modes.
 */
async function startRelay(node: string, kind: "sio" | "floor"): Promise<Stack> {
  const redis = await startRedis();
  const procs: Proc[] = [];
  const stop = async () => {
    for (const p of procs) await p.stop();
    await redis.stop();
  };
  try {
    const ports = [freePort(), freePort()];
    for (const [i, port] of ports.entries()) {
      const cmd = kind === "sio"
        ? [node, "server.mjs"]
        : [Deno.execPath(), "run", "-A", "tests/bench/socket_floor_server.ts"];
      procs.push(spawnPinned(i === 0 ? clientCore : fanOutCore, cmd, {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        PORT: String(port),
        REDIS_URL: redis.url,
        INSTANCE: "AB"[i]!,
        NODE_ENV: "production",
      }, kind === "sio" ? sioDir : root));
    }
    for (const port of ports) await waitForPort(port, 30_000);
    const none = (n: number) => Array.from({ length: n }, () => "");
    return {
      client: {
        mode: kind === "sio" ? "sio" : "ours",
        urlA: `http://127.0.0.1:${ports[0]}`,
        urlB: `http://127.0.0.1:${ports[1]}`,
        roomId: "bench-room",
        senderTokens: none(senderCount),
        receiverTokens: none(receiverCount),
        idleTokens: [""],
        serverPids: procs.map((p) => p.pid),
        redisPid: redis.pid,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** An organization with one Admin and `agents` Agents, written straight into the SQLite file. */
async function seedUsers(dataDir: string, agents: number) {
  const store = await openStore({ kind: "sqlite", path: `${dataDir}/chatcrm.db` });
  try {
    const now = new Date().toISOString();
    const orgId = uuidv7();
    await store.organizations.create({
      id: orgId,
      name: "Realtime bench",
      slug: "realtime-bench",
      active: true,
      settings: defaultOrganizationSettings(),
      createdAt: now,
      updatedAt: now,
    });
    const passwordHash = await hashPassword("bench-password", 4);
    const user = async (role: "Admin" | "Agent", email: string) =>
      await store.users.create({
        id: uuidv7(),
        organizationId: orgId,
        name: email,
        email,
        passwordHash,
        role,
        phone: null,
        avatarFileId: null,
        team: null,
        skills: [],
        maxConcurrentQueries: 5,
        active: true,
        availability: "offline" as const,
        allowedPlaces: [],
        lastLoginAt: null,
        customFields: {},
        labels: [],
        mergedInto: null,
        createdAt: now,
        updatedAt: now,
      });
    const admin = await user("Admin", "admin@rt.bench");
    const agentEmails: string[] = [];
    const members: string[] = [];
    for (let i = 0; i < agents; i++) {
      const agent = await user("Agent", `agent${i}@rt.bench`);
      agentEmails.push(agent.email);
      members.push(agent.id);
    }
    // POST /chat/rooms takes at most 50 members: the bench's room is written directly.
    const roomId = uuidv7();
    await store.documents("rooms").insert({
      id: roomId,
      organizationId: orgId,
      kind: "direct",
      queryId: null,
      customerId: null,
      members,
      title: "bench",
      createdBy: admin.id,
      createdAt: now,
    });
    return { agents: agentEmails, roomId };
  } finally {
    await store.close();
  }
}

async function login(url: string, email: string): Promise<{ token: string; userId: string }> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "bench-password" }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  const body = await res.json() as { token: string; user: { id: string } };
  return { token: body.token, userId: body.user.id };
}

/** Runs `fn` over `items`, `width` at a time. */
export async function pool<T, R>(
  items: T[],
  width: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  }));
  return results;
}

/** Our stack: two `src/main.ts` on one DATA_DIR (one SQLite file) and one Redis. */
async function startOurs(ctx: BenchContext, batchDelay = "0"): Promise<Stack> {
  const redis = await startRedis();
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-bench-rt-" });
  const servers: { pid: number; url: string; stop(): Promise<void> }[] = [];
  const stop = async () => {
    for (const s of servers) await s.stop();
    await redis.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  try {
    const seeded = await seedUsers(dataDir, receiverCount + senderCount);
    const env = {
      DATA_DIR: dataDir,
      REDIS_URL: redis.url,
      JWT_SECRET: "realtime-bench-secret-realtime-bench-secret",
      LOG_LEVEL: "warn",
      CRONS_ENABLED: "false",
      RATE_LIMIT_MAX: "1000000",
      RATE_LIMIT_USER_MAX: "1000000",
      BCRYPT_COST: "4",
      WS_RATE_PER_SECOND: "10000",
      WS_RATE_BURST: "100000",
      WS_BATCH_DELAY_MS: batchDelay,
      // REALTIME_V8_FLAGS, comma-separated (e.g. --prof,--logfile=/tmp/v8-%p.log), for profiling.
      ...(Deno.env.get("REALTIME_V8_FLAGS")
        ? { DENO_V8_FLAGS: Deno.env.get("REALTIME_V8_FLAGS")! }
        : {}),
    };
    for (const instance of ["A", "B"]) {
      const server = await ctx.startServer({ ...env, INSTANCE_ID: `bench-${instance}` });
      servers.push(server);
      await pinProcess(server.pid, instance === "A" ? clientCore : fanOutCore);
    }
    const [a, b] = servers as [typeof servers[0], typeof servers[0]];
    const agents = await pool(seeded.agents, 8, (email) => login(a.url, email));
    const receivers = agents.slice(0, receiverCount).map((x) => x.token);
    return {
      client: {
        mode: "ours",
        protocol: wireMode(),
        urlA: a.url,
        urlB: b.url,
        roomId: seeded.roomId,
        senderTokens: agents.slice(receiverCount).map((x) => x.token),
        receiverTokens: receivers,
        idleTokens: receivers,
        serverPids: [a.pid, b.pid],
        redisPid: redis.pid,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// --- rows ------------------------------------------------------------------------------------

const f1 = (v: number) => Number.isFinite(v) ? v.toFixed(1) : "n/a";
const f2 = (v: number) => Number.isFinite(v) ? v.toFixed(2) : "n/a";
const cpuPer100k = (s: Step) => ((s.cpuA + s.cpuB) / Math.max(1, s.received)) * 100_000;
const mbPer1000 = (i: Idle) => ((i.rssAfterKb - i.rssBeforeKb) / 1024) * (1000 / i.count);

const perMessage = {
  ours: "per message: validate frame, room access check, one SQLite (WAL) transaction for the " +
    "seq, the INSERT and the sender's read position (a repeated clientMessageId is answered " +
    "once), PUBLISH to Redis, ack; B fans out per socket with a seq cursor check",
  sio: "per message: no persistence, no auth, in-memory seq; io.to(room).emit through the " +
    "redis adapter, ack",
};

function stepRow(stack: "ours" | "socket.io" | "floor", s: Step): BenchRow {
  return {
    benchmark: `realtime ${named(stack)} @ ${s.rate} msg/s × ${s.receivers} receivers`,
    result: `${Math.round(s.deliveredPerSecond)} deliveries/s, p99 ${f1(s.p99)} ms`,
    detail: `p50 ${f1(s.p50)} / p99 ${f1(s.p99)} / max ${f1(s.max)} ms; ` +
      `lost ${s.lost} of ${s.expected} (send errors ${s.sendErrors}, acks ${s.acks}/${s.sent}); ` +
      `offered ${Math.round(s.offeredPerSecond)} msg/s by ${s.senders} senders on A, ` +
      `send → ack p50 ${f1(s.ackP50)} / p99 ${f1(s.ackP99)} ms; ` +
      `server CPU ${f2(cpuPer100k(s))} s per 100k deliveries ` +
      `(A ${s.cpuA.toFixed(2)} s + B ${s.cpuB.toFixed(2)} s over ${s.seconds.toFixed(1)} s; ` +
      `waiting for a core: A ${s.waitA.toFixed(2)} s, B ${s.waitB.toFixed(2)} s); ` +
      `redis ${s.cpuRedis.toFixed(2)} s; load generator ${s.cpuLoad.toFixed(2)} s CPU ` +
      `(${Math.round((s.cpuLoad / s.seconds) * 100)}% of a core); other processes on the ` +
      `machine meanwhile ${s.cpuOthers.toFixed(2)} s CPU`,
    target: stack === "ours" ? "0 lost" : "",
  };
}

function idleRow(stack: "ours" | "socket.io" | "floor", i: Idle): BenchRow {
  return {
    benchmark: `realtime ${named(stack)}: RSS per 1,000 idle sockets`,
    result: `${f1(mbPer1000(i))} MB`,
    detail: `${i.count} idle sockets on instance A: VmRSS ${f1(i.rssBeforeKb / 1024)} → ` +
      `${f1(i.rssAfterKb / 1024)} MB` +
      (stack === "ours"
        ? ` (authenticated, ${receiverCount} users, user/org channels and presence)`
        : " (no auth, no rooms joined)"),
  };
}

/** The sides of the rounds: the seed's, ours and the floor of our parts, in both wire modes. */
type Side =
  | "socket.io"
  | "ours (plain)"
  | "ours (batched)"
  | typeof delayedSide
  | "floor (plain)"
  | "floor (batched)";

/** One round's step, as the progress line on stderr says it. */
function stepText(s: Step): string {
  return `${Math.round(s.deliveredPerSecond)} deliveries/s, p99 ${f1(s.p99)} ms, ` +
    `server CPU ${f2(cpuPer100k(s))} s per 100k deliveries, lost ${s.lost}`;
}

/** Each side's rounds (medians with ranges), then ours against socket.io pair by pair. */
function roundRows(at: Step, rounds: Record<Side, Step[]>): BenchRow[] {
  const where = !(at.p99 <= p99LimitMs)
    ? `at ${at.rate} msg/s, where socket.io's p99 first passed ${p99LimitMs} ms`
    : `at ${at.rate} msg/s (socket.io's p99 stayed under ${p99LimitMs} ms up to there)`;
  const sum = (steps: Step[], key: "lost" | "expected") => steps.reduce((n, s) => n + s[key], 0);
  const rows: BenchRow[] = [];
  for (const [side, steps] of Object.entries(rounds) as [Side, Step[]][]) {
    rows.push({
      benchmark: `realtime ${side} @ ${at.rate} msg/s × ${receiverCount} receivers, ` +
        `${steps.length} rounds`,
      result: `p99 ${spreadText(spread(steps.map((s) => s.p99)), f1)} ms`,
      detail: `deliveries/s ${
        spreadText(spread(steps.map((s) => s.deliveredPerSecond)), (v) =>
          String(Math.round(v)))
      }; p50 ${spreadText(spread(steps.map((s) => s.p50)), f1)} ms; server CPU ` +
        `${spreadText(spread(steps.map(cpuPer100k)), f2)} s per 100k deliveries; lost ` +
        `${sum(steps, "lost")} of ${sum(steps, "expected")} (medians, ranges in brackets)`,
      target: side === "socket.io" ? "" : "0 lost",
    });
  }
  const theirs = rounds["socket.io"];
  for (const side of ["ours (batched)", delayedSide, "ours (plain)"] as const) {
    const mine = rounds[side]!;
    const batched = side !== "ours (plain)";
    const cpu = spread(ratios(mine.map(cpuPer100k), theirs.map(cpuPer100k)));
    const p99 = spread(ratios(mine.map((s) => s.p99), theirs.map((s) => s.p99)));
    const under = mine.filter((s, i) => s.p99 < theirs[i]!.p99 / 3).length;
    rows.push({
      benchmark: `realtime ratio: server CPU per delivery ${side} / socket.io`,
      result: ratioText(cpu),
      detail: `${where}; ` +
        (batched ? verdict(cpu, 0.5, "lower") : "the default wire mode, for comparison"),
      target: batched ? "≤ 0.5×" : "",
    }, {
      benchmark: `realtime ratio: p99 ${side} / socket.io`,
      result: ratioText(p99),
      detail: `under a third of socket.io's in ${under} of ${mine.length} rounds; ${where}` +
        (batched ? `; ${under === mine.length ? "met" : "missed"}` : ""),
      target: batched ? "< 0.33× in every round" : "",
    });
  }
  for (const side of ["floor (batched)", "floor (plain)"] as const) {
    const cpu = spread(ratios(rounds[side].map(cpuPer100k), theirs.map(cpuPer100k)));
    rows.push({
      benchmark: `realtime ratio: server CPU per delivery ${side} / socket.io`,
      result: ratioText(cpu),
      detail: `${where}; bare Deno sockets and ioredis, nothing stored or checked ` +
        "(socket_floor_server.ts): what any build on these parts pays at least",
    });
  }
  return rows;
}

const ratio = (a: number, b: number) => Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : "n/a";

export const realtimeBench: Bench = {
  name: "realtime",
  async run(ctx) {
    const node = findBinary("node", ["/usr/bin", "/usr/local/bin"]);
    if (!node) throw new Error("Node.js is needed for the Socket.IO baseline");
    await ensurePeers();
    const rows: BenchRow[] = [];
    rows.push({
      benchmark: "realtime setup",
      result: `2 instances + 1 Redis per stack`,
      detail:
        `${receiverCount} receivers in one room on instance B, ${senderCount} senders on A, ` +
        `${stepSeconds} s per step, open-loop, after a 1 s warm-up; the stacks alternate ` +
        `in rounds at one rate (below); ` +
        (pinning
          ? `taskset: instance B (fan-out) alone on core ${fanOutCore}; instance A, Redis and the ` +
            `Node load generator on core ${clientCore}`
          : "nothing pinned") +
        `; load generator: Node, ws for ours, socket.io-client (websocket only) for theirs. ` +
        `Ours ${perMessage.ours}; our clients in the plain wire mode (one event per frame) and ` +
        `the batched one (chatcrm.batch.v1: the events of one turn in one frame; and, on a ` +
        `second pair of instances with WS_BATCH_DELAY_MS=${batchDelayMs}, those of ` +
        `${batchDelayMs} ms). The floor: bare Deno sockets and ioredis relaying, nothing stored ` +
        `or checked, in both wire modes (the batched one by turn). ` +
        `Socket.IO ${perMessage.sio}. Then socket.io steps up alone to the rate where its p99 ` +
        `first passes ${p99LimitMs} ms, and there the three sides run in ${benchPairs} ` +
        `alternating rounds (figures: medians with their ranges)`,
    });
    // REALTIME_ONLY=ours (or sio) runs one stack alone at every rate (for profiling).
    const only = Deno.env.get("REALTIME_ONLY");
    if (only === "ours" || only === "sio" || only === "floor") {
      const stack = only === "ours"
        ? await startOurs(ctx, Deno.env.get("REALTIME_BATCH_DELAY_MS") ?? "0")
        : await startRelay(node, only);
      if (only === "floor") stack.client.protocol = wireMode();
      const name = only === "sio" ? "socket.io" : only;
      try {
        rows.push(idleRow(name, await measureIdle(node, stack)));
        for (const rate of rates) rows.push(stepRow(name, await measureStep(node, stack, rate)));
      } finally {
        await stack.stop();
      }
      return rows;
    }
    // Both stacks stay up. First socket.io alone steps up to the rate where its p99 passes the
    // limit; there, socket.io, ours and the floor run in alternating rounds, so that whatever
    // else runs on the machine weighs on every side alike.
    const sio = await startRelay(node, "sio");
    let ours: Stack | undefined;
    let delayed: Stack | undefined;
    let floor: Stack | undefined;
    const search: Step[] = [];
    let theirIdle: Idle, ourIdle: Idle;
    let rounds: Record<Side, Step[]>;
    try {
      theirIdle = await measureIdle(node, sio);
      ours = await startOurs(ctx);
      ourIdle = await measureIdle(node, ours);
      for (const rate of rates) {
        const theirs = await measureStep(node, sio, rate);
        search.push(theirs);
        if (!(theirs.p99 <= p99LimitMs)) break;
      }
      const at = search.at(-1)!.rate;
      floor = await startRelay(node, "floor");
      delayed = await startOurs(ctx, batchDelayMs);
      const speaking = (stack: Stack, protocol: "plain" | "batched") => ({
        ...stack,
        client: { ...stack.client, protocol },
      });
      rounds = await alternate(benchPairs, {
        "socket.io": () => measureStep(node, sio, at),
        "ours (plain)": () => measureStep(node, speaking(ours!, "plain"), at),
        "ours (batched)": () => measureStep(node, speaking(ours!, "batched"), at),
        [delayedSide]: () => measureStep(node, speaking(delayed!, "batched"), at),
        "floor (plain)": () => measureStep(node, speaking(floor!, "plain"), at),
        "floor (batched)": () => measureStep(node, speaking(floor!, "batched"), at),
      }, (side, round, s) => console.error(`realtime round ${round + 1} ${side}: ${stepText(s)}`));
    } finally {
      await floor?.stop();
      await delayed?.stop();
      await ours?.stop();
      await sio.stop();
    }
    for (const s of search) rows.push(stepRow("socket.io", s));
    rows.push(idleRow("socket.io", theirIdle), idleRow("ours", ourIdle));
    rows.push(...roundRows(search.at(-1)!, rounds));
    rows.push({
      benchmark: "realtime ratio: RSS per idle socket ours / socket.io",
      result: ratio(mbPer1000(ourIdle), mbPer1000(theirIdle)),
      detail: `${f1(mbPer1000(ourIdle))} vs ${f1(mbPer1000(theirIdle))} MB per 1,000`,
      target: "≤ 0.75×",
    });
    return rows;
  },
};
