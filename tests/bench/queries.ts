/**
 * Queries benchmark: list pages at 100,000 queries (the read by id is compared in rest.ts).
 */
import { newUser } from "@/modules/users/repository.ts";
import type { Bench, BenchRow } from "./main.ts";
import { freePort, taskArgs } from "@tests/helpers/servers.ts";
import { openStore } from "@/store/store.ts";
import { uuidv7 } from "@/ids.ts";
import { priorityRank, queryReference } from "@/modules/queries/model.ts";
import { defaultOrganizationSettings } from "@/modules/organizations/repository.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
import { spawnPinned } from "./rest.ts";

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

/** The seeded Admin's access token from the API at `url`. */
export async function login(url: string): Promise<string> {
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
      const { agentId } = await seedQueries(dataDir, count);
      const seedSeconds = (performance.now() - seededAt) / 1000;
      const port = freePort();
      const api = await spawnPinned(0, [Deno.execPath(), ...taskArgs("start")], port, {
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        RATE_LIMIT_MAX: "1000000",
        RATE_LIMIT_USER_MAX: "1000000",
        LOG_LEVEL: "warn",
        CRONS_ENABLED: "false",
      });
      try {
        const url = `http://127.0.0.1:${port}`;
        const token = await login(url);
        const auth = { authorization: `Bearer ${token}` };
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
