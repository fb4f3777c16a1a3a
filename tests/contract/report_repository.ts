import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { uuidv7 } from "@/ids.ts";
import type { QueryHistoryEntry } from "@/modules/queries/model.ts";
import { createReportService } from "@/modules/reports/service.ts";
import { daysRange } from "@/modules/reports/time.ts";
import { teamNameKey } from "@/modules/teams/model.ts";
import type { Store } from "@/store/store.ts";
import { anOrganization, aQuery, aUser } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

const tz = "Europe/Berlin";
/** 2026-03-29 in Berlin: clocks jump from 02:00 to 03:00, so the day has 23 hours. */
const day29 = daysRange("2026-03-29", "2026-03-29", tz);

/**
 * The fixed dataset (times UTC; Berlin is UTC+1 until 01:00Z on the 29th, UTC+2 after). Its
 * answers are worked out by hand in the tests below.
 *
 * | query | assignee | created  | first response | resolved | SLA                           | CSAT   |
 * | Q1    | A        | 28 23:30 | 28 23:40 (10m) | 29 01:30 | FR due 00:00 met, res met     | 5      |
 * | Q2    | A        | 29 08:00 | 29 08:30 (30m) | 29 12:00 | FR breached 08:16, res met    | 3      |
 * | Q3    | B        | 29 09:00 | 29 09:05 (5m)  | 29 21:30 | FR met, res breached 17:01    |        |
 * | Q4    | —        | 29 21:45 |                |          | FR breached 29 22:16 (the 30th local) |
 * | Q5    | C        | 28 22:30 | 28 23:10 (40m) |          | none                          |        |
 * | Q6    | C        | 29 22:00 | 29 22:20 (20m) | 30 10:00 | none                          | 4 (30 11:00) |
 *
 * History: assigned Q1→A 28 23:35, Q2→A 29 08:10, Q3→B 29 09:02, Q5→B 28 22:40, Q5 transferred
 * →C 28 23:05, Q6→C 29 22:10; Q3 resolved 29 12:00, reopened 29 13:00 (then resolved 21:30);
 * a requeue and a team transfer that count as no assignment. Shifts: A 29 06:00–14:00,
 * B 28 22:00–29 02:00, C from 29 20:00 (still open). Another organization mirrors Q1–Q3.
 */
export async function seedReportDataset(s: Store) {
  const org = anOrganization({ settings: { ...anOrganization().settings, timezone: tz } });
  const other = anOrganization();
  await s.organizations.create(org);
  await s.organizations.create(other);
  const agent = async (name: string, team: string | null, orgId = org.id) =>
    await s.users.create(aUser(orgId, { name, team }));
  const a = await agent("Agent A", "Alpha");
  const b = await agent("Agent B", "Alpha");
  const c = await agent("Agent C", "Beta");
  const stranger = await agent("Other Agent", "Alpha", other.id);
  const team = (orgId: string, name: string, members: string[]) =>
    s.documents("teams").insert({
      id: uuidv7(),
      organizationId: orgId,
      name,
      nameKey: teamNameKey(name),
      description: "",
      members,
      createdAt: "2026-03-01T00:00:00.000Z",
      updatedAt: "2026-03-01T00:00:00.000Z",
    });
  const teams = {
    alpha: await team(org.id, "Alpha", [a.id, b.id]),
    beta: await team(org.id, "Beta", [c.id]),
  };
  await team(other.id, "Alpha", [stranger.id]);
  const t = (iso: string) => `2026-03-${iso}:00.000Z`;
  const ids: Record<string, string> = {};
  const query = async (name: string, fields: Parameters<typeof aQuery>[1], orgId = org.id) => {
    const q = await s.queries.create(aQuery(orgId, fields));
    if (orgId === org.id) ids[name] = q.id;
    return q;
  };
  const done = (at: string, rating: number | null = null) =>
    rating === null ? null : { rating, comment: null, ratedAt: t(at) };
  for (const orgId of [org.id, other.id]) {
    const [qa, qb] = orgId === org.id ? [a.id, b.id] : [stranger.id, stranger.id];
    await query("Q1", {
      status: "Closed",
      assignedTo: qa,
      createdAt: t("28T23:30"),
      assignedAt: t("28T23:35"),
      firstResponseAt: t("28T23:40"),
      resolvedAt: t("29T01:30"),
      closedAt: t("29T02:30"),
      firstResponseDueAt: t("29T00:00"),
      resolutionDueAt: t("29T03:00"),
      csat: done("29T02:00", 5),
    }, orgId);
    await query("Q2", {
      status: "Resolved",
      assignedTo: qa,
      createdAt: t("29T08:00"),
      assignedAt: t("29T08:10"),
      firstResponseAt: t("29T08:30"),
      resolvedAt: t("29T12:00"),
      firstResponseDueAt: t("29T08:15"),
      firstResponseBreachedAt: t("29T08:16"),
      resolutionDueAt: t("29T16:00"),
      breached: true,
      csat: done("29T13:00", 3),
    }, orgId);
    await query("Q3", {
      status: "Resolved",
      assignedTo: qb,
      createdAt: t("29T09:00"),
      assignedAt: t("29T09:02"),
      firstResponseAt: t("29T09:05"),
      resolvedAt: t("29T21:30"),
      firstResponseDueAt: t("29T09:30"),
      resolutionDueAt: t("29T17:00"),
      resolutionBreachedAt: t("29T17:01"),
      breached: true,
    }, orgId);
  }
  await query("Q4", {
    createdAt: t("29T21:45"),
    firstResponseDueAt: t("29T22:15"),
    firstResponseBreachedAt: t("29T22:16"),
    breached: true,
  });
  await query("Q5", {
    status: "In Progress",
    assignedTo: c.id,
    createdAt: t("28T22:30"),
    assignedAt: t("28T23:05"),
    firstResponseAt: t("28T23:10"),
  });
  await query("Q6", {
    status: "Assigned",
    assignedTo: c.id,
    createdAt: t("29T22:00"),
    assignedAt: t("29T22:10"),
    firstResponseAt: t("29T22:20"),
    resolvedAt: t("30T10:00"),
    csat: done("30T11:00", 4),
  });
  const entry = async (
    q: string,
    action: QueryHistoryEntry["action"],
    at: string,
    change: Partial<QueryHistoryEntry>,
  ) =>
    await s.queryHistory.append({
      id: uuidv7(),
      organizationId: org.id,
      queryId: ids[q]!,
      actorId: "system",
      action,
      field: null,
      from: null,
      to: null,
      reason: null,
      at: t(at),
      ...change,
    });
  const assign = { field: "assignedTo", from: null };
  await entry("Q1", "assigned", "28T23:35", { ...assign, to: a.id });
  await entry("Q2", "assigned", "29T08:10", { ...assign, to: a.id });
  await entry("Q3", "assigned", "29T09:02", { ...assign, to: b.id });
  await entry("Q5", "assigned", "28T22:40", { ...assign, to: b.id });
  await entry("Q5", "transferred", "28T23:05", { field: "assignedTo", from: b.id, to: c.id });
  await entry("Q6", "assigned", "29T22:10", { ...assign, to: c.id });
  await entry("Q3", "status", "29T12:00", { field: "status", from: "In Progress", to: "Resolved" });
  await entry("Q3", "status", "29T13:00", { field: "status", from: "Resolved", to: "In Progress" });
  await entry("Q3", "status", "29T21:30", { field: "status", from: "In Progress", to: "Resolved" });
  await entry("Q2", "requeued", "29T08:05", { field: "assignedTo", from: a.id, to: null });
  await entry("Q2", "transferred", "29T08:06", { field: "team", from: null, to: "Alpha" });
  const shifts = s.documents("shifts");
  const shift = async (userId: string, clockIn: string, clockOut: string | null) =>
    await shifts.insert({
      id: uuidv7(),
      organizationId: org.id,
      userId,
      clockIn: t(clockIn),
      clockOut: clockOut ? t(clockOut) : null,
      createdAt: t(clockIn),
    });
  await shift(a.id, "29T06:00", "29T14:00");
  await shift(b.id, "28T22:00", "29T02:00");
  await shift(c.id, "29T20:00", null);
  await shifts.insert({
    id: uuidv7(),
    organizationId: other.id,
    userId: stranger.id,
    clockIn: t("29T06:00"),
    clockOut: null,
    createdAt: t("29T06:00"),
  });
  return { org, other, a, b, c, ids, teams };
}

const none = { count: 0, averageSeconds: null, medianSeconds: null };
const d = (count: number, averageSeconds: number, medianSeconds: number) => ({
  count,
  averageSeconds,
  medianSeconds,
});

/** ReportRepository on every store, through the report service: the hand-worked answers. */
export function reportRepositoryContract(kind: StoreKind): void {
  storeTest(kind, "reports: primitives count only the organization's own", async (s) => {
    const { org, a, b, c } = await seedReportDataset(s);
    assert.deepEqual(await s.reports.statusCounts(org.id), {
      byStatus: { Open: 1, Assigned: 1, "In Progress": 1, Resolved: 2, Closed: 1 },
      waiting: 1,
    });
    const h = await s.reports.historyCounts(org.id, day29);
    assert.deepEqual(
      new Map([...h.assigned].sort()),
      new Map([[a.id, 2], [b.id, 1], [c.id, 1]].sort() as [string, number][]),
    );
    assert.deepEqual([...h.reopened], [[b.id, 1]]);
    const bounds = ["2026-03-28T23:00:00.000Z", day29.to, "2026-03-30T22:00:00.000Z"];
    assert.deepEqual(await s.reports.countBetween(org.id, "createdAt", bounds), [4, 1]);
    assert.deepEqual(await s.reports.countBetween(org.id, "resolvedAt", bounds), [3, 1]);
    assert.deepEqual(await s.reports.countBetween(org.id, "createdAt", [day29.from]), []);
    let facts = 0;
    for await (const batch of s.reports.facts(org.id, day29, 2)) {
      assert.ok(batch.length <= 2);
      facts += batch.length;
    }
    assert.equal(facts, 5, "Q1–Q5 have an event on the 29th; Q6 starts at the next midnight");
    const march = { from: "2026-03-01T00:00:00.000Z", to: "2026-04-01T00:00:00.000Z" };
    const seen: string[] = [];
    let after = null;
    for (let i = 0; i < 10; i++) {
      const page = await s.reports.createdPage(org.id, march, after, 2);
      seen.push(...page.map((q) => q.createdAt));
      if (page.length < 2) break;
      after = page.at(-1)!;
    }
    assert.deepEqual(seen, [
      "2026-03-28T22:30:00.000Z",
      "2026-03-28T23:30:00.000Z",
      "2026-03-29T08:00:00.000Z",
      "2026-03-29T09:00:00.000Z",
      "2026-03-29T21:45:00.000Z",
      "2026-03-29T22:00:00.000Z",
    ]);
    assert.equal(await s.reports.createdCount(org.id, march), 6);
    const shifts = await s.reports.shifts(org.id, day29);
    assert.equal(shifts.length, 3);
  });

  storeTest(kind, "reports: agents on the 23-hour DST day, by hand", async (s) => {
    const { org, a, b, c } = await seedReportDataset(s);
    const reports = createReportService({ store: s, clock: fixedClock("2026-03-31T10:00:00Z") });
    const rows = await reports.agents(org.id, { from: "2026-03-29", to: "2026-03-29", tz });
    assert.deepEqual(rows, [
      {
        agentId: a.id,
        name: "Agent A",
        team: "Alpha",
        assigned: 2,
        resolved: 2,
        reopened: 0,
        firstResponse: d(2, 1200, 1200),
        resolution: d(2, 10800, 10800),
        slaBreaches: 1,
        slaMetPercent: { firstResponse: 50, resolution: 100 },
        csat: { average: 4, count: 2 },
        shiftSeconds: 8 * 3600,
      },
      {
        agentId: b.id,
        name: "Agent B",
        team: "Alpha",
        assigned: 1,
        resolved: 1,
        reopened: 1,
        firstResponse: d(1, 300, 300),
        resolution: d(1, 45000, 45000),
        slaBreaches: 1,
        slaMetPercent: { firstResponse: 100, resolution: 0 },
        csat: { average: null, count: 0 },
        shiftSeconds: 3 * 3600,
      },
      {
        agentId: c.id,
        name: "Agent C",
        team: "Beta",
        assigned: 1,
        resolved: 0,
        reopened: 0,
        firstResponse: d(1, 2400, 2400),
        resolution: none,
        slaBreaches: 0,
        slaMetPercent: { firstResponse: null, resolution: null },
        csat: { average: null, count: 0 },
        shiftSeconds: 2 * 3600,
      },
    ]);
    const two = await reports.agents(org.id, { from: "2026-03-29", to: "2026-03-30", tz });
    const agentC = two.find((r) => r.agentId === c.id)!;
    assert.deepEqual(
      [agentC.assigned, agentC.resolved, agentC.firstResponse, agentC.resolution, agentC.csat],
      [2, 1, d(2, 1800, 1800), d(1, 43200, 43200), { average: 4, count: 1 }],
    );
  });

  storeTest(kind, "reports: teams merge their agents, medians over every value", async (s) => {
    const { org, teams: made } = await seedReportDataset(s);
    const reports = createReportService({ store: s, clock: fixedClock("2026-03-31T10:00:00Z") });
    const teams = await reports.teams(org.id, { from: "2026-03-29", to: "2026-03-29", tz });
    assert.deepEqual(teams.map((t) => t.team), ["Alpha", "Beta"]);
    const alpha = teams[0]!;
    assert.deepEqual(alpha, {
      team: "Alpha",
      teamId: made.alpha.id,
      agents: 2,
      assigned: 3,
      resolved: 3,
      reopened: 1,
      firstResponse: d(3, 900, 600),
      resolution: d(3, 22200, 14400),
      slaBreaches: 2,
      slaMetPercent: { firstResponse: 66.7, resolution: 66.7 },
      csat: { average: 4, count: 2 },
      shiftSeconds: 11 * 3600,
    });
    assert.deepEqual([teams[1]!.agents, teams[1]!.assigned, teams[1]!.firstResponse], [
      1,
      1,
      d(1, 2400, 2400),
    ]);
  });

  storeTest(kind, "reports: trends follow the local day, not the UTC one", async (s) => {
    const { org } = await seedReportDataset(s);
    const reports = createReportService({ store: s, clock: fixedClock("2026-03-31T10:00:00Z") });
    const period = { from: "2026-03-28", to: "2026-03-30" };
    assert.deepEqual(await reports.trends(org.id, { ...period, tz }), [
      { day: "2026-03-28", created: 1, resolved: 0 },
      { day: "2026-03-29", created: 4, resolved: 3 },
      { day: "2026-03-30", created: 1, resolved: 1 },
    ]);
    assert.deepEqual(await reports.trends(org.id, { ...period, tz: "UTC" }), [
      { day: "2026-03-28", created: 2, resolved: 0 },
      { day: "2026-03-29", created: 4, resolved: 3 },
      { day: "2026-03-30", created: 0, resolved: 1 },
    ]);
  });

  storeTest(kind, "reports: dashboard counts now and today", async (s) => {
    const { org, a, b } = await seedReportDataset(s);
    const at = "2026-03-29T21:50:00.000Z";
    await s.agentStates.setStatus(org.id, a.id, "online", at);
    await s.agentStates.setShift(org.id, a.id, true, at);
    await s.agentStates.setStatus(org.id, b.id, "online", at);
    const reports = createReportService({ store: s, clock: fixedClock(at) });
    assert.deepEqual(await reports.dashboard(org.id, tz), {
      day: "2026-03-29",
      tz,
      queries: {
        total: 6,
        byStatus: { Open: 1, Assigned: 1, "In Progress": 1, Resolved: 2, Closed: 1 },
        open: 3,
        waiting: 1,
        inProgress: 1,
        closed: 1,
        createdToday: 4,
        resolvedToday: 3,
      },
      agents: { online: 2, onShift: 1 },
      firstResponse: { count: 4, averageSeconds: 1275 },
      resolution: { count: 3, averageSeconds: 22200 },
      sla: { decided: 6, missed: 2, breachRatePercent: 33.3, breaches: 2 },
      csat: { average: 4, count: 2 },
    });
  });

  storeTest(kind, "reports: past days read the snapshot, written once per zone", async (s) => {
    const { org, a, ids } = await seedReportDataset(s);
    const reports = createReportService({ store: s, clock: fixedClock("2026-03-31T10:00:00Z") });
    const period = { from: "2026-03-29", to: "2026-03-29", tz };
    const before = await reports.agents(org.id, period);
    assert.equal(await reports.snapshotDay(org.id, "2026-03-29", tz), true);
    assert.equal(await reports.snapshotDay(org.id, "2026-03-29", tz), false);
    assert.equal(await reports.snapshotDay(org.id, "2026-03-31", tz), false, "today stays live");
    // A later change to the day's data: the snapshot keeps the day as it was.
    await s.queries.update(org.id, ids.Q1!, {}, { resolvedAt: null, status: "In Progress" });
    assert.deepEqual(await reports.agents(org.id, period), before);
    assert.deepEqual(await reports.trends(org.id, { from: "2026-03-28", to: "2026-03-31", tz }), [
      { day: "2026-03-28", created: 1, resolved: 0 },
      { day: "2026-03-29", created: 4, resolved: 3 },
      { day: "2026-03-30", created: 1, resolved: 1 },
      { day: "2026-03-31", created: 0, resolved: 0 },
    ]);
    const liveTrend = await reports.trends(org.id, {
      from: "2026-03-29",
      to: "2026-03-29",
      tz: "UTC",
    });
    assert.equal(liveTrend[0]!.resolved, 2, "live, Q1 is no longer resolved");
    const utc = await reports.agents(org.id, { ...period, tz: "UTC" });
    assert.equal(utc.find((r) => r.agentId === a.id)!.resolved, 1, "no snapshot in UTC: live");
  });
}
