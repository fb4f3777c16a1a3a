/**
 * Queries benchmarks: `GET /api/v1/queries/:id` with a Bearer token against a bare Deno.serve
 * JSON handler (server and load pinned to different cores), and list pages at 100,000 queries.
 */
import { newUser } from "@/modules/users/repository.ts";
import type { Bench, BenchRow } from "./main.ts";
import { freePort, waitForPort } from "@tests/helpers/servers.ts";
import { openStore } from "@/store/store.ts";
import { uuidv7 } from "@/ids.ts";
import { priorityRank, queryReference } from "@/modules/queries/model.ts";
import { defaultOrganizationSettings } from "@/modules/organizations/repository.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
import { findBinary, taskArgs } from "@tests/helpers/servers.ts";

const root = new URL("../../", import.meta.url).pathname;
const taskset = findBinary("taskset", ["/usr/bin"]);
const pin = (core: number, cmd: string[]) => taskset ? [taskset, "-c", String(core), ...cmd] : cmd;

/** Spawns a command pinned to a core and waits for its port. */
async function spawnServer(cmd: string[], port: number, env: Record<string, string>) {
  const [bin, ...args] = pin(0, cmd);
  const child = new Deno.Command(bin!, {
    args,
    cwd: root,
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  await waitForPort(port, 60_000);
  return {
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** Runs a reference server script (on core 0) and measures `path` on it with wrk. */
async function measureReference(script: string, args: string[], path = "/") {
  const port = freePort();
  const server = await spawnServer(
    [
      Deno.execPath(),
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      script,
      String(port),
      ...args,
    ],
    port,
    {},
  );
  try {
    return await wrk(`http://127.0.0.1:${port}${path}`, {});
  } finally {
    await server.stop();
  }
}

async function wrk(url: string, headers: Record<string, string>, seconds = 5) {
  const exe = findBinary("wrk", ["/usr/bin"]);
  if (!exe) throw new Error("wrk is not installed (apt-get install wrk)");
  const header = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const [bin, ...args] = pin(1, [exe, "-t1", "-c32", `-d${seconds}s`, "--latency", ...header, url]);
  const out = new TextDecoder().decode(
    (await new Deno.Command(bin!, { args, stdout: "piped" }).output()).stdout,
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "?";
  return { rps, non2xx, p99 };
}

/** Writes `count` queries of one organization straight into a SQLite file, plus two logins. */
export async function seedQueries(dataDir: string, count: number) {
  const store = await openStore({ kind: "sqlite", path: `${dataDir}/chatcrm.db` });
  const now = new Date().toISOString();
  const orgId = uuidv7();
  await store.organizations.create({
    id: orgId,
    name: "Bench",
    slug: "bench",
    active: true,
    settings: defaultOrganizationSettings(),
    createdAt: now,
    updatedAt: now,
  });
  const hash = await hashPassword("bench-password", 4);
  const user = (role: "Admin" | "Agent" | "Customer", email: string) =>
    newUser({
      id: uuidv7(),
      organizationId: orgId,
      name: role,
      email,
      passwordHash: hash,
      role,
      maxConcurrentQueries: 5,
      createdAt: now,
    });
  const admin = await store.users.create(user("Admin", "admin@bench.test"));
  const agent = await store.users.create(user("Agent", "agent@bench.test"));
  const statuses = ["Open", "Assigned", "In Progress", "Resolved", "Closed"] as const;
  const prios = ["Low", "Medium", "High", "Urgent"] as const;
  const start = Date.parse("2026-01-01T00:00:00Z");
  let sample = "";
  for (let n = 1; n <= count; n++) {
    const status = statuses[n % 5]!;
    const priority = prios[n % 4]!;
    const at = new Date(start + n * 60_000).toISOString();
    const id = uuidv7(start + n * 60_000);
    if (n === Math.floor(count / 2) + 1) sample = id; // an Assigned one, as most reads are
    await store.queries.create({
      id,
      organizationId: orgId,
      number: n,
      reference: queryReference(n),
      title: `Query number ${n}`,
      description: "Benchmark data",
      status,
      priority,
      priorityRank: priorityRank[priority],
      source: "Chat",
      customerId: admin.id,
      assignedTo: status === "Open" ? null : agent.id,
      team: null,
      skill: null,
      tags: n % 10 === 0 ? ["vip"] : [],
      labels: [],
      roomId: null,
      waitingOn: "agent",
      createdBy: admin.id,
      createdAt: at,
      updatedAt: at,
      assignedAt: null,
      firstResponseAt: null,
      resolvedAt: null,
      closedAt: null,
      firstResponseDueAt: null,
      resolutionDueAt: null,
      slaPausedAt: null,
      firstResponseWarnedAt: null,
      resolutionWarnedAt: null,
      firstResponseBreachedAt: null,
      resolutionBreachedAt: null,
      breached: n % 7 === 0,
      csat: null,
      customFields: {},
    });
  }
  await store.close();
  return { sample, agentId: agent.id, orgId };
}

async function login(url: string) {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@bench.test", password: "bench-password" }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return (await res.json()).token as string;
}

const count = 100_000;

export const queriesBench: Bench = {
  name: "queries",
  async run() {
    const rows: BenchRow[] = [];
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-bench-q-" });
    try {
      const seededAt = performance.now();
      const { sample, agentId } = await seedQueries(dataDir, count);
      const seedSeconds = (performance.now() - seededAt) / 1000;
      const barePort = freePort();
      const bare = await spawnServer(
        [Deno.execPath(), "run", "--allow-net", "tests/bench/bare_server.ts", String(barePort)],
        barePort,
        {},
      );
      const baseline = await wrk(`http://127.0.0.1:${barePort}/`, {});
      const baselineBytes = (await (await fetch(`http://127.0.0.1:${barePort}/`)).text()).length;
      await bare.stop();
      const port = freePort();
      const api = await spawnServer(
        [Deno.execPath(), ...taskArgs("start")],
        port,
        {
          PORT: String(port),
          HOST: "127.0.0.1",
          DATA_DIR: dataDir,
          RATE_LIMIT_MAX: "1000000",
          RATE_LIMIT_USER_MAX: "1000000",
          LOG_LEVEL: "warn",
          CRONS_ENABLED: "false",
          PATH: Deno.env.get("PATH") ?? "/usr/bin",
          HOME: Deno.env.get("HOME") ?? "/root",
        },
      );
      try {
        const url = `http://127.0.0.1:${port}`;
        const token = await login(url);
        const auth = { authorization: `Bearer ${token}` };
        const ours = await wrk(`${url}/api/v1/queries/${sample}`, auth);
        // The same bytes from a bare handler: how much of the gap is the payload itself.
        const document = await (await fetch(`${url}/api/v1/queries/${sample}`, { headers: auth }))
          .text();
        const documentFile = `${dataDir}/document.json`;
        await Deno.writeTextFile(documentFile, document);
        const sameBaseline = await measureReference("tests/bench/bare_server.ts", [documentFile]);
        const leanRoute = await measureReference(
          "tests/bench/bare_hono_sqlite.ts",
          [`${dataDir}/chatcrm.db`],
          `/queries/${sample}`,
        );
        rows.push({
          benchmark: "bare Deno.serve JSON handler (baseline)",
          result: `${Math.round(baseline.rps)} req/s`,
          detail: `p99 ${baseline.p99}; server on core 0, wrk -t1 -c32 on core 1`,
        });
        rows.push({
          benchmark: "bare Deno.serve answering the same query document",
          result: `${Math.round(sameBaseline.rps)} req/s`,
          detail:
            `${document.length} bytes (the baseline's are ${baselineBytes}), p99 ${sameBaseline.p99}`,
        });
        rows.push({
          benchmark: "bare Hono route reading the same document from SQLite (no auth)",
          result: `${Math.round(leanRoute.rps)} req/s`,
          detail: `${
            (leanRoute.rps / baseline.rps).toFixed(2)
          }× baseline, p99 ${leanRoute.p99}, ${leanRoute.non2xx} non-2xx`,
        });
        rows.push({
          benchmark: "GET /api/v1/queries/:id with a Bearer token (SQLite)",
          result: `${Math.round(ours.rps)} req/s`,
          target: "≥ 0.35× baseline",
          detail: `${(ours.rps / baseline.rps).toFixed(2)}× baseline, ${
            (ours.rps / sameBaseline.rps).toFixed(2)
          }× the same document bare, p99 ${ours.p99}, ${ours.non2xx} non-2xx`,
        });
        const lists = [
          "?page=1&limit=20",
          "?page=2500&limit=20",
          "?status=Open&limit=20",
          "?status=Assigned,In%20Progress&priority=Urgent&limit=20",
          `?assignedTo=${agentId}&page=10&limit=20`,
          "?tag=vip&limit=20",
          "?breached=true&sort=priority&limit=20",
          "?from=2026-02-01T00:00:00Z&to=2026-02-08T00:00:00Z&limit=20",
          "?q=number%2012345&limit=20",
        ];
        for (const q of lists) {
          const times: number[] = [];
          let total = 0;
          for (let i = 0; i < 15; i++) {
            const t0 = performance.now();
            const res = await fetch(`${url}/api/v1/queries${q}`, { headers: auth });
            const body = await res.json();
            times.push(performance.now() - t0);
            total = body.meta?.total ?? -1;
          }
          times.sort((a, b) => a - b);
          rows.push({
            benchmark: `GET /api/v1/queries${decodeURIComponent(q)} at ${count / 1000}k`,
            result: `${times[7]!.toFixed(1)} ms`,
            target: "< 50 ms",
            detail: `median of 15, max ${times.at(-1)!.toFixed(1)} ms, total ${total}`,
          });
        }
        rows.push({
          benchmark: `seeding ${count} queries through the repository`,
          result: `${seedSeconds.toFixed(1)} s`,
        });
      } finally {
        await api.stop();
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
    return rows;
  },
};
