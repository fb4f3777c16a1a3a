/**
 * A support chat workload (issue 20): what a desk really carries. Two instances on one Redis;
 * 1,000 open conversations, each a customer's socket on instance A and its agent's socket on
 * instance B (each agent in 5 conversations); both sides write in turn at a stepped-up rate, a
 * `typing` before each message and a `mark-read` after each delivery; every message is stored
 * before it is sent on.
 *
 *   - ours: `deno task start` twice on one SQLite file (WAL) and one Redis; each conversation is
 *     a query's room, assigned to its agent.
 *   - the seed's stack (tests/bench/socketio/support_server.mjs): Socket.IO 4.8 with
 *     @socket.io/redis-adapter, a JWT checked at connect, a membership check per message, each
 *     message inserted with its seq into SQLite through better-sqlite3 before the emit.
 *   - the floor of our parts (tests/bench/socket_floor_server.ts): the seed's work done on bare
 *     `Deno.serve` sockets, ioredis, jose and node:sqlite, speaking our protocol; what no build on
 *     these parts goes below, so a target out of its reach is out of ours.
 *
 * Rounds alternate (seed, ours, floor; then floor, ours, seed) with fresh processes each time;
 * each run steps the rate up until a step's p99 passes 50 ms or loses a message. Reported per pair: the
 * sustained rate (the highest step with p99 under 50 ms and nothing lost), CPU per message per
 * instance at the highest rate both sustained, memory per idle conversation (both instances' RSS
 * growth once the 1,000 conversations are connected and joined), losses.
 *
 *   deno task bench support     SUPPORT_RATES=100,200,… SUPPORT_CONVERSATIONS=1000 BENCH_PAIRS=5
 *   SUPPORT_ONLY=ours|seed|floor  one stack alone; SUPPORT_INSPECT=1 opens our instances' inspectors;
 *   SUPPORT_V8_FLAGS=--perf-basic-prof  V8 flags for our instances (perf record then names JS frames)
 *   SUPPORT_ALL_STEPS=1  every rate runs whatever its p99 (for profiling; not for the table)
 */
import { DatabaseSync } from "node:sqlite";
import { SignJWT } from "jose";
import type { Bench, BenchRow } from "./main.ts";
import { findBinary, freePort, taskArgs } from "@tests/helpers/servers.ts";
import { openStore } from "@/store/store.ts";
import { uuidv7 } from "@/ids.ts";
import { queryReference } from "@/modules/queries/model.ts";
import { newUser } from "@/modules/users/repository.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
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
import { ensurePeers, peersDir } from "./peers.ts";
import { type Proc, spawnPinned } from "./rest.ts";
import { pool, startRedis } from "./realtime.ts";
import { anOrganization, aQuery } from "@tests/contract/fixtures.ts";

const conversationCount = Number(Deno.env.get("SUPPORT_CONVERSATIONS") ?? 1000);
const perAgent = 5;
const agentCount = Math.ceil(conversationCount / perAgent);
const rates = (Deno.env.get("SUPPORT_RATES") ?? "100,200,400,700,1000,1500,2000,3000,4000")
  .split(",").map(Number);
const stepSeconds = 4;
const p99LimitMs = 50;
/** Both instances of a stack share core 0; Redis and the load generator run on core 1. */
const serverCore = 0;
const clientCore = 1;

/**
 * `deno task start`'s arguments; with SUPPORT_INSPECT=1 each instance also opens the inspector
 * (A on 127.0.0.1:9401, B on 9402) for a profiler to attach while the steps run.
 */
function startArgs(instance: "A" | "B"): string[] {
  const [run, ...rest] = taskArgs("start");
  if (Deno.env.get("SUPPORT_INSPECT") !== "1") return [run!, ...rest];
  return [run!, `--inspect=127.0.0.1:${instance === "A" ? 9401 : 9402}`, ...rest];
}

interface Step {
  rate: number;
  sent: number;
  received: number;
  lost: number;
  stale: number;
  acks: number;
  sendErrors: number;
  p50: number;
  p99: number;
  max: number;
  cpuA: number;
  cpuB: number;
  seconds: number;
}

interface Run {
  idle: { conversations: number; rssBeforeKb: [number, number]; rssAfterKb: [number, number] };
  steps: Step[];
}

interface Conversation {
  roomId: string;
  customer: string;
  agent: number;
}

const ok = (s: Step) => s.p99 <= p99LimitMs && s.lost === 0 && s.sendErrors === 0;
/** The highest rate of a run with p99 under the limit and nothing lost (0 when none). */
const sustained = (run: Run) => Math.max(0, ...run.steps.filter(ok).map((s) => s.rate));
const cpuPerMessageUs = (s: Step) => ((s.cpuA + s.cpuB) / 2 / Math.max(1, s.sent)) * 1e6;
const kbPerConversation = (run: Run) =>
  (run.idle.rssAfterKb[0] - run.idle.rssBeforeKb[0] + run.idle.rssAfterKb[1] -
    run.idle.rssBeforeKb[1]) / run.idle.conversations;
const lost = (run: Run) => run.steps.reduce((n, s) => n + s.lost, 0);

/** Our desk: an organization, its agents and customers, one assigned query and room each. */
async function seedOurs(dataDir: string) {
  const store = await openStore({ kind: "sqlite", path: `${dataDir}/chatcrm.db` });
  try {
    const now = new Date().toISOString();
    const { id: orgId } = await store.organizations.create(
      anOrganization({
        name: "Support bench",
        slug: "support-bench",
        createdAt: now,
        updatedAt: now,
      }),
    );
    const passwordHash = await hashPassword("bench-password", 4);
    const user = (role: "Agent" | "Customer", email: string) =>
      store.users.create(newUser({
        id: uuidv7(),
        organizationId: orgId,
        name: email,
        email,
        passwordHash,
        role,
        maxConcurrentQueries: role === "Agent" ? perAgent : 0,
        createdAt: now,
      }));
    const agents = [];
    for (let i = 0; i < agentCount; i++) {
      agents.push(await user("Agent", `agent${i}@support.bench`));
    }
    const conversations: { roomId: string; customerEmail: string; agent: number }[] = [];
    for (let i = 0; i < conversationCount; i++) {
      const customer = await user("Customer", `customer${i}@support.bench`);
      const agent = Math.floor(i / perAgent);
      const queryId = uuidv7();
      const roomId = uuidv7();
      await store.queries.create(aQuery(orgId, {
        id: queryId,
        number: i + 1,
        reference: queryReference(i + 1),
        title: `Conversation ${i + 1}`,
        description: "Support bench",
        status: "In Progress",
        customerId: customer.id,
        assignedTo: agents[agent]!.id,
        roomId,
        createdBy: customer.id,
        createdAt: now,
        updatedAt: now,
        assignedAt: now,
      }));
      await store.documents("rooms").insert({
        id: roomId,
        organizationId: orgId,
        kind: "query",
        queryId,
        customerId: customer.id,
        members: [],
        title: `Conversation ${i + 1}`,
        createdBy: customer.id,
        createdAt: now,
      });
      conversations.push({ roomId, customerEmail: customer.email, agent });
    }
    return { agents: agents.map((a) => a.email), conversations };
  } finally {
    await store.close();
  }
}

async function login(url: string, email: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "bench-password" }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The seed's desk: the same conversations in its own SQLite file, and HS256 tokens. */
async function seedTheirs(file: string, secret: string) {
  const db = new DatabaseSync(file);
  db.exec(`
    PRAGMA journal_mode = WAL;
    CREATE TABLE room_members (room_id TEXT NOT NULL, user_id TEXT NOT NULL,
      PRIMARY KEY (room_id, user_id));
    CREATE TABLE messages (id TEXT PRIMARY KEY, room_id TEXT NOT NULL, seq INTEGER NOT NULL,
      sender_id TEXT NOT NULL, type TEXT NOT NULL, text TEXT NOT NULL, client_message_id TEXT,
      created_at TEXT NOT NULL);
    CREATE UNIQUE INDEX messages_room_seq ON messages (room_id, seq);
    CREATE TABLE read_positions (room_id TEXT NOT NULL, user_id TEXT NOT NULL,
      seq INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (room_id, user_id));
  `);
  const key = new TextEncoder().encode(secret);
  const token = (id: string, role: string) =>
    new SignJWT({ id, role, organizationId: "support-bench" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("4h")
      .sign(key);
  const member = db.prepare("INSERT INTO room_members (room_id, user_id) VALUES (?, ?)");
  const agents: string[] = [];
  for (let i = 0; i < agentCount; i++) agents.push(await token(`agent-${i}`, "Agent"));
  const conversations: Conversation[] = [];
  db.exec("BEGIN");
  for (let i = 0; i < conversationCount; i++) {
    const roomId = uuidv7();
    const agent = Math.floor(i / perAgent);
    member.run(roomId, `customer-${i}`);
    member.run(roomId, `agent-${agent}`);
    conversations.push({ roomId, customer: await token(`customer-${i}`, "Customer"), agent });
  }
  db.exec("COMMIT");
  db.close();
  return { agents, conversations };
}

async function runClient(node: string, config: Record<string, unknown>): Promise<Run> {
  const file = await Deno.makeTempFile({ prefix: "chatcrm-bench-support-", suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        clkTck,
        rates,
        seconds: stepSeconds,
        p99LimitMs,
        allSteps: Deno.env.get("SUPPORT_ALL_STEPS") === "1",
        ...config,
      }),
    );
    const taskset = findBinary("taskset", ["/usr/bin"]);
    const cmd = [node, "support_client.mjs", file];
    const [bin, ...args] = taskset ? [taskset, "-c", String(clientCore), ...cmd] : cmd;
    const { code, stdout } = await new Deno.Command(bin!, {
      args,
      cwd: peersDir,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (code !== 0) throw new Error(`support_client.mjs exited with ${code}`);
    const lines = new TextDecoder().decode(stdout).split("\n").filter(Boolean)
      .map((l) => JSON.parse(l) as { phase: string });
    const idle = lines.find((l) => l.phase === "idle") as unknown as Run["idle"] | undefined;
    if (!idle) throw new Error("support_client.mjs reported no idle phase");
    return { idle, steps: lines.filter((l) => l.phase === "step") as unknown as Step[] };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

const f0 = (v: number) => String(Math.round(v));
const f1 = (v: number) => Number.isFinite(v) ? v.toFixed(1) : "n/a";

function runDetail(run: Run): string {
  return run.steps.map((s) =>
    `${s.rate}: p99 ${f1(s.p99)} ms, ${s.lost} lost, ${s.acks}/${s.sent} acked, ` +
    `${s.sendErrors} errors, ${s.stale} late, ` +
    `${f0(cpuPerMessageUs(s))} µs CPU/msg/instance`
  ).join("; ");
}

export const supportBench: Bench = {
  name: "support",
  async run() {
    const node = findBinary("node", ["/usr/bin", "/usr/local/bin"]);
    if (!node) throw new Error("Node.js is needed for the seed's stack (tests/bench/socketio/)");
    await ensurePeers();
    const dir = await Deno.makeTempDir({ prefix: "chatcrm-bench-support-" });
    try {
      const secret = "support-bench-secret-support-bench-secret";
      const seeded = await seedOurs(dir);
      const theirFile = `${dir}/seed.db`;
      const theirs = await seedTheirs(theirFile, secret);
      const oursEnv = {
        DATA_DIR: dir,
        JWT_SECRET: secret,
        JWT_EXPIRE: "4h",
        LOG_LEVEL: "warn",
        CRONS_ENABLED: "false",
        RATE_LIMIT_MAX: "1000000",
        RATE_LIMIT_USER_MAX: "1000000",
        WS_RATE_PER_SECOND: "10000",
        WS_RATE_BURST: "100000",
        BCRYPT_COST: "4",
        HOST: "127.0.0.1",
        // SUPPORT_V8_FLAGS (e.g. --perf-basic-prof, for `perf record` to name JIT frames).
        ...(Deno.env.get("SUPPORT_V8_FLAGS")
          ? { DENO_V8_FLAGS: Deno.env.get("SUPPORT_V8_FLAGS")! }
          : {}),
      };
      let tokens: { agents: string[]; conversations: Conversation[] } | undefined;

      /** Redis and two instances started by `start`, then `drive` against A and B. */
      const twoInstances = async (
        start: (instance: "A" | "B", port: number, redisUrl: string) => Promise<Proc>,
        drive: (urlA: string, urlB: string, serverPids: number[]) => Promise<Run>,
      ): Promise<Run> => {
        const redis = await startRedis();
        const procs: Proc[] = [];
        try {
          const ports = [freePort(), freePort()] as const;
          procs.push(await start("A", ports[0], redis.url), await start("B", ports[1], redis.url));
          const [urlA, urlB] = ports.map((p) => `http://127.0.0.1:${p}`) as [string, string];
          return await drive(urlA, urlB, procs.map((p) => p.pid));
        } finally {
          for (const p of procs) await p.stop();
          await redis.stop();
        }
      };

      const oursRun = () =>
        twoInstances(
          (instance, port, redisUrl) =>
            spawnPinned(serverCore, [Deno.execPath(), ...startArgs(instance)], port, {
              ...oursEnv,
              PORT: String(port),
              REDIS_URL: redisUrl,
              INSTANCE_ID: `support-${instance}`,
            }),
          async (urlA, urlB, serverPids) => {
            // Sessions are stored: the logins of the first run serve every later one.
            tokens ??= {
              agents: await pool(seeded.agents, 8, (email) => login(urlA, email)),
              conversations: await pool(seeded.conversations, 8, async (c) => ({
                roomId: c.roomId,
                agent: c.agent,
                customer: await login(urlA, c.customerEmail),
              })),
            };
            return await runClient(node, { mode: "ours", urlA, urlB, ...tokens, serverPids });
          },
        );

      const seedRun = () =>
        twoInstances(
          (instance, port, redisUrl) =>
            spawnPinned(serverCore, [node, "support_server.mjs"], port, {
              PORT: String(port),
              REDIS_URL: redisUrl,
              JWT_SECRET: secret,
              DB_FILE: theirFile,
              INSTANCE: instance,
              NODE_ENV: "production",
            }, peersDir),
          (urlA, urlB, serverPids) =>
            runClient(node, { mode: "sio", urlA, urlB, ...theirs, serverPids }),
        );

      // The floor of our parts (socket_floor_server.ts) does the seed's work on its own copy of
      // the seed's file, with the same tokens, and speaks our protocol.
      const floorFile = `${dir}/floor.db`;
      await Deno.copyFile(theirFile, floorFile);
      const floorRun = () =>
        twoInstances(
          (instance, port, redisUrl) =>
            spawnPinned(
              serverCore,
              [
                Deno.execPath(),
                "run",
                "-A",
                "tests/bench/socket_floor_server.ts",
              ],
              port,
              {
                PORT: String(port),
                REDIS_URL: redisUrl,
                JWT_SECRET: secret,
                DB_FILE: floorFile,
                INSTANCE: instance,
              },
            ),
          (urlA, urlB, serverPids) =>
            runClient(node, { mode: "ours", urlA, urlB, ...theirs, serverPids }),
        );

      // SUPPORT_ONLY=ours (or seed, or floor): runs of one stack alone (for profiling).
      const only = Deno.env.get("SUPPORT_ONLY");
      if (only === "ours" || only === "seed" || only === "floor") {
        const rows: BenchRow[] = [];
        for (let i = 0; i < benchPairs; i++) {
          const run = await ({ ours: oursRun, seed: seedRun, floor: floorRun })[only]();
          rows.push({
            benchmark: `support ${only} alone, run ${i + 1}`,
            result: `sustained ${sustained(run)} msg/s`,
            detail: `${f1(kbPerConversation(run))} KB per idle conversation; ${runDetail(run)}`,
          });
        }
        return rows;
      }
      const runs = await alternate(
        benchPairs,
        { seed: seedRun, ours: oursRun, floor: floorRun },
        (side, i, run) =>
          console.error(
            `bench: support ${side} round ${i + 1}: sustained ${sustained(run)} msg/s, ` +
              `${f1(kbPerConversation(run))} KB per idle conversation, ${lost(run)} lost`,
          ),
      );

      // CPU per message at the highest rate both sides of a pair sustained (their first step when
      // one sustained none).
      const cpuAt = (run: Run, rate: number) =>
        cpuPerMessageUs(run.steps.find((s) => s.rate === rate) ?? run.steps[0]!);
      const common = runs.ours.map((o, i) =>
        Math.min(sustained(o), sustained(runs.seed[i]!)) || rates[0]!
      );
      const oursCpu = runs.ours.map((r, i) => cpuAt(r, common[i]!));
      const seedCpu = runs.seed.map((r, i) => cpuAt(r, common[i]!));
      const floorCommon = runs.floor.map((f, i) =>
        Math.min(sustained(f), sustained(runs.seed[i]!)) || rates[0]!
      );
      const floorCpu = runs.floor.map((r, i) => cpuAt(r, floorCommon[i]!));
      const floorSeedCpu = runs.seed.map((r, i) => cpuAt(r, floorCommon[i]!));
      const floorRate = spread(ratios(runs.floor.map(sustained), runs.seed.map(sustained)));
      const floorCpuRatio = spread(ratios(floorCpu, floorSeedCpu));
      const floorMemory = spread(
        ratios(runs.floor.map(kbPerConversation), runs.seed.map(kbPerConversation)),
      );
      const rate = spread(ratios(runs.ours.map(sustained), runs.seed.map(sustained)));
      const cpu = spread(ratios(oursCpu, seedCpu));
      const memory = spread(
        ratios(runs.ours.map(kbPerConversation), runs.seed.map(kbPerConversation)),
      );
      const stack = (
        name: string,
        side: "ours" | "seed" | "floor",
        cpus: number[],
        at = common,
      ): BenchRow[] => [
        {
          benchmark: `support ${name}: sustained messages/s (p99 < ${p99LimitMs} ms, none lost)`,
          result: spreadText(spread(runs[side].map(sustained)), f0),
          detail: runs[side].map((r, i) => `round ${i + 1}: ${runDetail(r)}`).join(" | "),
        },
        {
          benchmark: `support ${name}: CPU per message per instance`,
          result: `${spreadText(spread(cpus), f0)} µs`,
          detail: `at the highest rate both sustained in each pair (${
            side === "floor" ? "the floor and the seed's" : "ours and the seed's"
          }): ${at.join(", ")} msg/s`,
        },
        {
          benchmark: `support ${name}: memory per idle conversation (RSS, both instances)`,
          result: `${spreadText(spread(runs[side].map(kbPerConversation)), f1)} KB`,
          detail: `${conversationCount} conversations (customer sockets on A, ${agentCount} ` +
            "agent sockets on B, every room joined); the growth over the last nine tenths, the " +
            "first tenth having warmed the processes up",
        },
      ];
      return [
        {
          benchmark: "support setup",
          result: `${benchPairs} pairs of runs`,
          detail: `${conversationCount} conversations, ${agentCount} agents (${perAgent} each); ` +
            `rates ${rates.join(", ")} msg/s, ${stepSeconds} s per step, stepped up until p99 ` +
            `passes ${p99LimitMs} ms or a message is lost; both instances of a stack on core ` +
            `${serverCore}, Redis and the Node load generator (ws for ours, socket.io-client for ` +
            `theirs) on core ${clientCore}; fresh processes each run`,
        },
        ...stack("ours", "ours", oursCpu),
        ...stack("seed's stack", "seed", seedCpu),
        ...stack("floor of our parts", "floor", floorCpu, floorCommon),
        {
          benchmark: "support ratio: sustained rate ours / seed's stack",
          result: ratioText(rate),
          target: "≥ 2×",
          detail: verdict(rate, 2, "higher"),
        },
        {
          benchmark: "support ratio: CPU per message ours / seed's stack",
          result: ratioText(cpu),
          target: "≤ 0.5×",
          detail: verdict(cpu, 0.5, "lower"),
        },
        {
          benchmark: "support ratio: memory per idle conversation ours / seed's stack",
          result: ratioText(memory),
          target: "≤ 0.5×",
          detail: verdict(memory, 0.5, "lower"),
        },
        {
          benchmark: "support floor / seed's stack: sustained rate, CPU per message, memory",
          result: `${ratioText(floorRate)}, ${ratioText(floorCpuRatio)}, ${ratioText(floorMemory)}`,
          detail: "bare Deno sockets, ioredis, jose and node:sqlite doing the seed's work " +
            "(socket_floor_server.ts), nothing of ours: what any build on these parts reaches at " +
            `best; against the targets: ${verdict(floorRate, 2, "higher")} (rate), ` +
            `${verdict(floorCpuRatio, 0.5, "lower")} (CPU), ${
              verdict(floorMemory, 0.5, "lower")
            } (memory)`,
        },
        {
          benchmark: "support losses ours / seed's stack",
          result: `${runs.ours.reduce((n, r) => n + lost(r), 0)} / ${
            runs.seed.reduce((n, r) => n + lost(r), 0)
          }`,
          target: "0 lost",
          detail: "messages acked or sent that never reached the other side, over every step " +
            "(the step where p99 passed the limit included)",
        },
      ];
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
};
