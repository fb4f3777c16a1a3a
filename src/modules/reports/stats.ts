import type { HistoryCounts, QueryFacts, Range } from "./repository.ts";

/** Durations in seconds: count and sum always; every value when a median is wanted. */
export interface Durations {
  count: number;
  sum: number;
  values?: number[];
}

/** A target's outcomes decided in a period. */
export interface SlaOutcome {
  met: number;
  missed: number;
}

/** What happened in a period, for the organization or one agent; sums merge across periods. */
export interface Stats {
  created: number;
  assigned: number;
  resolved: number;
  reopened: number;
  firstResponse: Durations;
  resolution: Durations;
  slaFirstResponse: SlaOutcome;
  slaResolution: SlaOutcome;
  /** Breaches marked by the SLA job (each target of a query at most once). */
  breaches: number;
  csatSum: number;
  csatCount: number;
}

/** The organization's figures and each agent's (by user id). */
export interface StatsSet {
  org: Stats;
  agents: Record<string, Stats>;
}

export function emptyStats(withValues: boolean): Stats {
  const durations = (): Durations =>
    withValues ? { count: 0, sum: 0, values: [] } : { count: 0, sum: 0 };
  return {
    created: 0,
    assigned: 0,
    resolved: 0,
    reopened: 0,
    firstResponse: durations(),
    resolution: durations(),
    slaFirstResponse: { met: 0, missed: 0 },
    slaResolution: { met: 0, missed: 0 },
    breaches: 0,
    csatSum: 0,
    csatCount: 0,
  };
}

export function emptySet(): StatsSet {
  return { org: emptyStats(false), agents: {} };
}

function agentOf(set: StatsSet, id: string): Stats {
  return set.agents[id] ??= emptyStats(true);
}

const within = (t: string | null, r: Range): t is string => t !== null && t >= r.from && t < r.to;
const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

function addDuration(d: Durations, s: number): void {
  d.count++;
  d.sum += s;
  d.values?.push(s);
}

/**
 * Adds one query's events inside `range` to the organization and to its current assignee:
 * creation, first response and resolution (timed from creation), SLA outcomes, breaches, rating.
 */
export function addFacts(set: StatsSet, f: QueryFacts, range: Range): void {
  const targets = [set.org];
  if (f.assignedTo) targets.push(agentOf(set, f.assignedTo));
  const fr = sla(f.firstResponseAt, f.firstResponseDueAt, f.firstResponseBreachedAt, range);
  const res = sla(f.resolvedAt, f.resolutionDueAt, f.resolutionBreachedAt, range);
  for (const s of targets) {
    if (within(f.createdAt, range)) s.created++;
    if (within(f.firstResponseAt, range)) {
      addDuration(s.firstResponse, seconds(f.createdAt, f.firstResponseAt));
    }
    if (within(f.resolvedAt, range)) {
      s.resolved++;
      addDuration(s.resolution, seconds(f.createdAt, f.resolvedAt));
    }
    if (fr) s.slaFirstResponse[fr]++;
    if (res) s.slaResolution[res]++;
    if (within(f.firstResponseBreachedAt, range)) s.breaches++;
    if (within(f.resolutionBreachedAt, range)) s.breaches++;
    if (f.csatRating !== null && within(f.csatRatedAt, range)) {
      s.csatSum += f.csatRating;
      s.csatCount++;
    }
  }
}

/**
 * A target's outcome if it was decided in the range: missed when the SLA job marked it breached
 * (decided then), else decided when it was done: met on or before its due time, missed after.
 */
function sla(
  doneAt: string | null,
  dueAt: string | null,
  breachedAt: string | null,
  range: Range,
): keyof SlaOutcome | null {
  if (!dueAt) return null;
  if (breachedAt) return within(breachedAt, range) ? "missed" : null;
  if (!within(doneAt, range)) return null;
  return doneAt <= dueAt ? "met" : "missed";
}

/** Adds assignments and reopens from the history. */
export function addHistory(set: StatsSet, h: HistoryCounts): void {
  for (const [agent, n] of h.assigned) {
    set.org.assigned += n;
    agentOf(set, agent).assigned += n;
  }
  for (const [agent, n] of h.reopened) {
    set.org.reopened += n;
    if (agent) agentOf(set, agent).reopened += n;
  }
}

function mergeDurations(into: Durations, from: Durations): void {
  into.count += from.count;
  into.sum += from.sum;
  if (into.values && from.values) into.values.push(...from.values);
}

/** Adds `from` into `into`. */
export function mergeStats(into: Stats, from: Stats): void {
  into.created += from.created;
  into.assigned += from.assigned;
  into.resolved += from.resolved;
  into.reopened += from.reopened;
  mergeDurations(into.firstResponse, from.firstResponse);
  mergeDurations(into.resolution, from.resolution);
  for (const k of ["met", "missed"] as const) {
    into.slaFirstResponse[k] += from.slaFirstResponse[k];
    into.slaResolution[k] += from.slaResolution[k];
  }
  into.breaches += from.breaches;
  into.csatSum += from.csatSum;
  into.csatCount += from.csatCount;
}

export function mergeSet(into: StatsSet, from: StatsSet): void {
  mergeStats(into.org, from.org);
  for (const [id, s] of Object.entries(from.agents)) mergeStats(agentOf(into, id), s);
}

const round = (v: number, places: number) => Math.round(v * 10 ** places) / 10 ** places;

/** The middle value (mean of the two middle ones for an even count), or null when empty. */
export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface DurationSummary {
  count: number;
  averageSeconds: number | null;
  medianSeconds: number | null;
}

export function summarizeDurations(d: Durations): DurationSummary {
  const m = d.values ? median(d.values) : null;
  return {
    count: d.count,
    averageSeconds: d.count ? round(d.sum / d.count, 1) : null,
    medianSeconds: m === null ? null : round(m, 1),
  };
}

/** Percent of decided targets that were met (one decimal), or null when none was decided. */
export function metPercent(o: SlaOutcome): number | null {
  const total = o.met + o.missed;
  return total ? round((o.met / total) * 100, 1) : null;
}

export interface PerformanceSummary {
  assigned: number;
  resolved: number;
  reopened: number;
  firstResponse: DurationSummary;
  resolution: DurationSummary;
  slaBreaches: number;
  slaMetPercent: { firstResponse: number | null; resolution: number | null };
  csat: { average: number | null; count: number };
}

export function summarize(s: Stats): PerformanceSummary {
  return {
    assigned: s.assigned,
    resolved: s.resolved,
    reopened: s.reopened,
    firstResponse: summarizeDurations(s.firstResponse),
    resolution: summarizeDurations(s.resolution),
    slaBreaches: s.breaches,
    slaMetPercent: {
      firstResponse: metPercent(s.slaFirstResponse),
      resolution: metPercent(s.slaResolution),
    },
    csat: { average: s.csatCount ? round(s.csatSum / s.csatCount, 2) : null, count: s.csatCount },
  };
}
