import type { Deps } from "@/deps.ts";
import { AppError, ConflictError } from "@/errors.ts";
import { answeringRoles } from "@/modules/users/actor.ts";
import type { QueryStatus } from "@/modules/queries/model.ts";
import type { User } from "@/modules/users/repository.ts";
import { findAll } from "@/store/documents.ts";
import type { Range } from "./repository.ts";
import {
  addFacts,
  addHistory,
  emptySet,
  emptyStats,
  mergeSet,
  mergeStats,
  type PerformanceSummary,
  type Stats,
  type StatsSet,
  summarize,
  summarizeDurations,
} from "./stats.ts";
import { addDays, daysBetween, daysRange, eachDay, localDay, startOfDay } from "./time.ts";

/** Local days `from` through `to` (inclusive) in the IANA zone `tz`. */
export interface Period {
  from: string;
  to: string;
  tz: string;
}

/** A day's figures, written once the day is over (in `tz`), so past days need no scan. */
export interface ReportSnapshot {
  id: string;
  organizationId: string;
  tz: string;
  day: string;
  range: Range;
  stats: StatsSet;
  computedAt: string;
  createdAt: string;
}

export interface Dashboard {
  day: string;
  tz: string;
  queries: {
    total: number;
    byStatus: Record<QueryStatus, number>;
    open: number;
    waiting: number;
    inProgress: number;
    closed: number;
    createdToday: number;
    resolvedToday: number;
  };
  agents: { online: number; onShift: number };
  firstResponse: { count: number; averageSeconds: number | null };
  resolution: { count: number; averageSeconds: number | null };
  sla: { decided: number; missed: number; breachRatePercent: number | null; breaches: number };
  csat: { average: number | null; count: number };
}

export type AgentReportRow = PerformanceSummary & {
  agentId: string;
  name: string;
  team: string | null;
  shiftSeconds: number;
};

export type TeamReportRow = PerformanceSummary & {
  /** The team's name; null for the agents in no team. */
  team: string | null;
  teamId: string | null;
  agents: number;
  shiftSeconds: number;
};

export interface TrendDay {
  day: string;
  created: number;
  resolved: number;
}

export interface ReportService {
  dashboard(orgId: string, tz: string): Promise<Dashboard>;
  agents(orgId: string, period: Period): Promise<AgentReportRow[]>;
  teams(orgId: string, period: Period): Promise<TeamReportRow[]>;
  trends(orgId: string, period: Period): Promise<TrendDay[]>;
  /** The organization's time zone (settings), for requests that name none. */
  timezoneOf(orgId: string): Promise<string>;
  /** Writes the snapshot of a finished day unless one exists; true when written. */
  snapshotDay(orgId: string, day: string, tz: string): Promise<boolean>;
}

/** The longest period a report covers. */
export const maxPeriodDays = 366;

export function snapshotId(orgId: string, tz: string, day: string): string {
  return `${orgId}:${tz}:${day}`;
}

export function createReportService(deps: Pick<Deps, "store" | "clock">): ReportService {
  const { store } = deps;
  const snapshots = store.documents("report_snapshots");
  const now = () => deps.clock.now().getTime();

  /** Everything that happened in the range, computed from the queries and their history. */
  async function live(orgId: string, range: Range): Promise<StatsSet> {
    const set = emptySet();
    for await (const batch of store.reports.facts(orgId, range)) {
      for (const f of batch) addFacts(set, f, range);
    }
    addHistory(set, await store.reports.historyCounts(orgId, range));
    return set;
  }

  /** Snapshots for finished days that have one, live figures for the rest (today included). */
  async function periodStats(orgId: string, p: Period): Promise<StatsSet> {
    checkPeriod(p);
    const today = localDay(now(), p.tz);
    const total = emptySet();
    let run: string[] = [];
    const flush = async () => {
      if (!run.length) return;
      mergeSet(total, await live(orgId, daysRange(run[0]!, run.at(-1)!, p.tz)));
      run = [];
    };
    for (const day of eachDay(p.from, p.to)) {
      const snap = day < today ? await snapshots.get(orgId, snapshotId(orgId, p.tz, day)) : null;
      if (snap) {
        await flush();
        mergeSet(total, snap.stats);
      } else if (day <= today) run.push(day);
    }
    await flush();
    return total;
  }

  async function staff(orgId: string): Promise<User[]> {
    const users: User[] = [];
    for (let page = 1;; page++) {
      const result = await store.users.list(orgId, { roles: [...answeringRoles] }, {
        page,
        limit: 100,
      });
      users.push(...result.data);
      if (page * 100 >= result.total || !result.data.length) return users;
    }
  }

  /** Seconds each user spent on shift inside the period (open shifts count until now). */
  async function shiftSeconds(orgId: string, range: Range): Promise<Map<string, number>> {
    const from = Date.parse(range.from);
    const to = Math.min(Date.parse(range.to), now());
    const seconds = new Map<string, number>();
    for (const s of await store.reports.shifts(orgId, range)) {
      const start = Math.max(Date.parse(s.clockIn), from);
      const end = Math.min(s.clockOut ? Date.parse(s.clockOut) : now(), to);
      if (end > start) seconds.set(s.userId, (seconds.get(s.userId) ?? 0) + (end - start) / 1000);
    }
    return seconds;
  }

  const service: ReportService = {
    async dashboard(orgId, tz) {
      const day = localDay(now(), tz);
      const range = daysRange(day, day, tz);
      const [counts, set, states] = await Promise.all([
        store.reports.statusCounts(orgId),
        live(orgId, range),
        store.agentStates.list(orgId),
      ]);
      const s = set.org;
      const b = counts.byStatus;
      const missed = s.slaFirstResponse.missed + s.slaResolution.missed;
      const decided = missed + s.slaFirstResponse.met + s.slaResolution.met;
      return {
        day,
        tz,
        queries: {
          total: Object.values(b).reduce((a, n) => a + n, 0),
          byStatus: b,
          open: b.Open + b.Assigned + b["In Progress"],
          waiting: counts.waiting,
          inProgress: b["In Progress"],
          closed: b.Closed,
          createdToday: s.created,
          resolvedToday: s.resolved,
        },
        agents: {
          online: states.filter((a) => a.status === "online").length,
          onShift: states.filter((a) => a.onShift).length,
        },
        firstResponse: pick(summarizeDurations(s.firstResponse)),
        resolution: pick(summarizeDurations(s.resolution)),
        sla: {
          decided,
          missed,
          breachRatePercent: decided ? Math.round((missed / decided) * 1000) / 10 : null,
          breaches: s.breaches,
        },
        csat: {
          average: s.csatCount ? Math.round((s.csatSum / s.csatCount) * 100) / 100 : null,
          count: s.csatCount,
        },
      };
    },
    async agents(orgId, p) {
      const [set, users, shifts] = await Promise.all([
        periodStats(orgId, p),
        staff(orgId),
        shiftSeconds(orgId, daysRange(p.from, p.to, p.tz)),
      ]);
      const byId = new Map(users.map((u) => [u.id, u]));
      const teams = await findAll(store.documents("teams"), orgId, {});
      const ids = new Set([
        ...users.filter((u) => u.role === "Agent" && u.active).map((u) => u.id),
        ...Object.keys(set.agents),
        ...shifts.keys(),
      ]);
      const rows = [...ids].map((id): AgentReportRow => {
        const user = byId.get(id);
        return {
          agentId: id,
          name: user?.name ?? "(removed user)",
          team: teams.filter((t) => t.members.includes(id)).map((t) => t.name).join(", ") ||
            null,
          ...summarize(set.agents[id] ?? emptyStats(true)),
          shiftSeconds: Math.round(shifts.get(id) ?? 0),
        };
      });
      return rows.sort((a, b) =>
        a.name.localeCompare(b.name) || a.agentId.localeCompare(b.agentId)
      );
    },
    async teams(orgId, p) {
      const [set, users, shifts] = await Promise.all([
        periodStats(orgId, p),
        staff(orgId),
        shiftSeconds(orgId, daysRange(p.from, p.to, p.tz)),
      ]);
      // Each team merges its members' figures (an agent in two teams counts in both); agents in
      // no team make the row without one.
      const resources = await findAll(store.documents("teams"), orgId, {});
      type Row = { name: string | null; stats: Stats; agents: Set<string>; shift: number };
      const row = (name: string | null): Row => ({
        name,
        stats: emptyStats(true),
        agents: new Set(),
        shift: 0,
      });
      const teams = new Map<string | null, Row>(resources.map((t) => [t.id, row(t.name)]));
      const teamsOf = (id: string) => {
        const mine = resources.filter((t) => t.members.includes(id)).map((t) => teams.get(t.id)!);
        if (!mine.length) {
          if (!teams.has(null)) teams.set(null, row(null));
          mine.push(teams.get(null)!);
        }
        for (const t of mine) t.agents.add(id);
        return mine;
      };
      for (const u of users) if (u.role === "Agent" && u.active) teamsOf(u.id);
      for (const [id, s] of Object.entries(set.agents)) {
        for (const t of teamsOf(id)) mergeStats(t.stats, s);
      }
      for (const [id, sec] of shifts) for (const t of teamsOf(id)) t.shift += sec;
      return [...teams].map(([teamId, t]): TeamReportRow => ({
        team: t.name,
        teamId,
        agents: t.agents.size,
        ...summarize(t.stats),
        shiftSeconds: Math.round(t.shift),
      })).sort((a, b) => (a.team ?? "\uffff").localeCompare(b.team ?? "\uffff"));
    },
    async trends(orgId, p) {
      checkPeriod(p);
      const today = localDay(now(), p.tz);
      const days: TrendDay[] = [];
      const live: TrendDay[] = [];
      for (const day of eachDay(p.from, p.to)) {
        const snap = day < today ? await snapshots.get(orgId, snapshotId(orgId, p.tz, day)) : null;
        const entry = {
          day,
          created: snap?.stats.org.created ?? 0,
          resolved: snap?.stats.org.resolved ?? 0,
        };
        days.push(entry);
        if (!snap && day <= today) live.push(entry);
      }
      if (!live.length) return days;
      // Counts for every day from the first live day to the last; days with snapshots skip theirs.
      const span = eachDay(live[0]!.day, live.at(-1)!.day);
      const bounds = [...span, addDays(span.at(-1)!, 1)].map((d) =>
        new Date(startOfDay(d, p.tz)).toISOString()
      );
      const [created, resolved] = await Promise.all([
        store.reports.countBetween(orgId, "createdAt", bounds),
        store.reports.countBetween(orgId, "resolvedAt", bounds),
      ]);
      for (const d of live) {
        const i = span.indexOf(d.day);
        d.created = created[i]!;
        d.resolved = resolved[i]!;
      }
      return days;
    },
    async timezoneOf(orgId) {
      const org = await store.organizations.findById(orgId);
      if (!org) throw new AppError("NOT_FOUND", `Organization "${orgId}" not found`);
      return org.settings.timezone || "UTC";
    },
    async snapshotDay(orgId, day, tz) {
      if (day >= localDay(now(), tz)) return false;
      const id = snapshotId(orgId, tz, day);
      if (await snapshots.get(orgId, id)) return false;
      const range = daysRange(day, day, tz);
      const at = new Date(now()).toISOString();
      try {
        await snapshots.insert({
          id,
          organizationId: orgId,
          tz,
          day,
          range,
          stats: await live(orgId, range),
          computedAt: at,
          createdAt: at,
        });
      } catch (err) {
        // Another instance wrote it first: the same figures.
        if (err instanceof ConflictError) return false;
        throw err;
      }
      return true;
    },
  };
  return service;
}

function pick(d: { count: number; averageSeconds: number | null }) {
  return { count: d.count, averageSeconds: d.averageSeconds };
}

function checkPeriod(p: Period): void {
  if (p.from > p.to) {
    throw new AppError("VALIDATION_FAILED", `Period starts after it ends: ${p.from} > ${p.to}`);
  }
  if (daysBetween(p.from, p.to) >= maxPeriodDays) {
    throw new AppError(
      "VALIDATION_FAILED",
      `Period of ${daysBetween(p.from, p.to) + 1} days is too long: at most ${maxPeriodDays}`,
    );
  }
}

/** The default period: the `days` local days ending today in `tz`. */
export function recentDays(nowMs: number, tz: string, days: number): Period {
  const to = localDay(nowMs, tz);
  return { from: addDays(to, -(days - 1)), to, tz };
}
