import { DatabaseSync } from "node:sqlite";
import { MongoClient } from "mongodb";
import { uuidv7 } from "@/ids.ts";
import { priorityRank, type Query, type QueryHistoryEntry } from "@/modules/queries/model.ts";
import { defaultOrganizationSettings } from "@/modules/organizations/repository.ts";
import type { User } from "@/modules/users/repository.ts";
import type { Store } from "@/store/store.ts";

const minute = 60_000;

/** A small deterministic generator, so every run seeds the same data. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BenchOrg {
  orgId: string;
  agents: User[];
}

/** One organization (Europe/Berlin) with 20 agents in 4 teams, made through the store. */
export async function benchOrganization(store: Store, now: number): Promise<BenchOrg> {
  const at = new Date(now).toISOString();
  const orgId = uuidv7();
  await store.organizations.create({
    id: orgId,
    name: "Bench",
    slug: `bench-${orgId.slice(-8)}`,
    active: true,
    settings: { ...defaultOrganizationSettings(), timezone: "Europe/Berlin" },
    createdAt: at,
    updatedAt: at,
  });
  const agents: User[] = [];
  for (let i = 0; i < 20; i++) {
    agents.push(
      await store.users.create({
        id: uuidv7(),
        organizationId: orgId,
        name: `Agent ${String(i).padStart(2, "0")}`,
        email: `agent-${i}-${orgId.slice(-8)}@example.com`,
        passwordHash: "x",
        role: "Agent",
        phone: null,
        avatarFileId: null,
        team: `Team ${i % 4}`,
        skills: [],
        maxConcurrentQueries: 5,
        active: true,
        availability: "online",
        allowedPlaces: [],
        lastLoginAt: null,
        customFields: {},
        mergedInto: null,
        createdAt: at,
        updatedAt: at,
      }),
    );
  }
  return { orgId, agents };
}

/**
 * `n` queries over the 30 days before `now`, with their assignment (and some reopen) history:
 * 10% waiting, the rest assigned; most answered, three in four resolved, some late, some rated.
 */
export function* benchQueries(
  org: BenchOrg,
  n: number,
  now: number,
): Generator<{ query: Query; history: QueryHistoryEntry[] }> {
  const rnd = random(n);
  const iso = (t: number) => new Date(t).toISOString();
  for (let i = 0; i < n; i++) {
    const created = now - Math.floor(rnd() * 30 * 24 * 60) * minute - 60 * minute;
    const agent = org.agents[i % org.agents.length]!;
    const waiting = rnd() < 0.1;
    const assignedAt = waiting ? null : created + (1 + Math.floor(rnd() * 10)) * minute;
    const answered = assignedAt !== null && rnd() < 0.9;
    const firstResponse = answered ? assignedAt + Math.floor(rnd() * 60) * minute : null;
    const resolved = firstResponse !== null && rnd() < 0.83
      ? Math.min(firstResponse + (10 + Math.floor(rnd() * 600)) * minute, now - minute)
      : null;
    const frDue = created + 30 * minute;
    const resDue = created + 8 * 60 * minute;
    const rated = resolved !== null && rnd() < 0.4;
    const id = uuidv7(created);
    const query: Query = {
      id,
      organizationId: org.orgId,
      number: i + 1,
      reference: `Q-${String(i + 1).padStart(6, "0")}`,
      title: `Bench query ${i}`,
      description: "Generated for the report bench",
      status: waiting
        ? "Open"
        : resolved
        ? (i % 2 ? "Closed" : "Resolved")
        : firstResponse
        ? "In Progress"
        : "Assigned",
      priority: "Medium",
      priorityRank: priorityRank.Medium,
      source: "Chat",
      customerId: `customer-${i % 500}`,
      assignedTo: waiting ? null : agent.id,
      team: null,
      skill: null,
      tags: [],
      roomId: null,
      waitingOn: "agent",
      createdBy: `customer-${i % 500}`,
      createdAt: iso(created),
      updatedAt: iso(resolved ?? firstResponse ?? created),
      assignedAt: assignedAt ? iso(assignedAt) : null,
      firstResponseAt: firstResponse ? iso(firstResponse) : null,
      resolvedAt: resolved ? iso(resolved) : null,
      closedAt: resolved && i % 2 ? iso(resolved + minute) : null,
      firstResponseDueAt: iso(frDue),
      resolutionDueAt: iso(resDue),
      slaPausedAt: null,
      firstResponseWarnedAt: null,
      resolutionWarnedAt: null,
      firstResponseBreachedAt: (firstResponse ?? now) > frDue + minute ? iso(frDue + minute) : null,
      resolutionBreachedAt: (resolved ?? now) > resDue + minute ? iso(resDue + minute) : null,
      breached: (firstResponse ?? now) > frDue + minute || (resolved ?? now) > resDue + minute,
      csat: rated
        ? {
          rating: 1 + Math.floor(rnd() * 5),
          comment: null,
          ratedAt: iso(resolved! + 30 * minute),
        }
        : null,
      customFields: {},
    };
    const history: QueryHistoryEntry[] = [];
    const entry = (at: number, e: Partial<QueryHistoryEntry>): QueryHistoryEntry => ({
      id: uuidv7(at),
      organizationId: org.orgId,
      queryId: id,
      actorId: "system",
      action: "created",
      field: null,
      from: null,
      to: null,
      reason: null,
      at: iso(at),
      ...e,
    });
    if (assignedAt) {
      history.push(entry(assignedAt, { action: "assigned", field: "assignedTo", to: agent.id }));
    }
    if (resolved && rnd() < 0.03) {
      history.push(
        entry(resolved - minute, {
          action: "status",
          field: "status",
          from: "Resolved",
          to: "In Progress",
        }),
      );
    }
    yield { query, history };
  }
}

/** Bulk-loads the queries into the SQLite file the store opened (same rows as the adapter). */
export function loadSqlite(
  path: string,
  rows: Iterable<{ query: Query; history: QueryHistoryEntry[] }>,
) {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 5000");
  const q = db.prepare("INSERT INTO queries (id, doc) VALUES (?, ?)");
  const h = db.prepare(
    "INSERT INTO query_history (id, org_id, query_id, at, doc) VALUES (?, ?, ?, ?, ?)",
  );
  db.exec("BEGIN");
  for (const { query, history } of rows) {
    q.run(query.id, JSON.stringify(query));
    for (const e of history) h.run(e.id, e.organizationId, e.queryId, e.at, JSON.stringify(e));
  }
  db.exec("COMMIT");
  db.close();
}

/** Bulk-loads the queries into the MongoDB database the store opened (`_id` for `id`). */
export async function loadMongo(
  uri: string,
  dbName: string,
  rows: Iterable<{ query: Query; history: QueryHistoryEntry[] }>,
) {
  const client = new MongoClient(uri);
  await client.connect();
  try {
    const db = client.db(dbName);
    let queries: Record<string, unknown>[] = [];
    let history: Record<string, unknown>[] = [];
    const flush = async () => {
      if (queries.length) await db.collection("queries").insertMany(queries as never[]);
      if (history.length) await db.collection("query_history").insertMany(history as never[]);
      queries = [];
      history = [];
    };
    for (const { query, history: entries } of rows) {
      const { id, ...rest } = query;
      queries.push({ _id: id, ...rest });
      for (const { id: hid, ...e } of entries) history.push({ _id: hid, ...e });
      if (queries.length >= 2000) await flush();
    }
    await flush();
  } finally {
    await client.close();
  }
}
