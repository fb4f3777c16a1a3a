import type { Deps } from "@/deps.ts";
import type { Query } from "@/modules/queries/model.ts";
import type { AgentReportRow, Period, ReportService, TeamReportRow } from "./service.ts";
import type { Column, Table } from "./export.ts";
import type { PerformanceSummary } from "./stats.ts";
import { daysRange } from "./time.ts";

export const exportTypes = ["queries", "agents", "teams"] as const;
export type ExportType = (typeof exportTypes)[number];

const minutes = (from: string | null, to: string | null) =>
  from && to ? Math.round((Date.parse(to) - Date.parse(from)) / 600) / 100 : null;
const perMinute = (s: number | null) => (s === null ? null : Math.round(s / 0.6) / 100);

function performanceColumns<R extends PerformanceSummary>(): Column<R>[] {
  return [
    { header: "Assigned", kind: "number", value: (r) => r.assigned },
    { header: "Resolved", kind: "number", value: (r) => r.resolved },
    { header: "Reopened", kind: "number", value: (r) => r.reopened },
    {
      header: "Average first response (min)",
      kind: "minutes",
      value: (r) => perMinute(r.firstResponse.averageSeconds),
    },
    {
      header: "Median first response (min)",
      kind: "minutes",
      value: (r) => perMinute(r.firstResponse.medianSeconds),
    },
    {
      header: "Average resolution (min)",
      kind: "minutes",
      value: (r) => perMinute(r.resolution.averageSeconds),
    },
    {
      header: "Median resolution (min)",
      kind: "minutes",
      value: (r) => perMinute(r.resolution.medianSeconds),
    },
    { header: "SLA breaches", kind: "number", value: (r) => r.slaBreaches },
    {
      header: "First response SLA met (%)",
      kind: "number",
      value: (r) => r.slaMetPercent.firstResponse,
    },
    { header: "Resolution SLA met (%)", kind: "number", value: (r) => r.slaMetPercent.resolution },
    { header: "CSAT average", kind: "number", value: (r) => r.csat.average },
    { header: "CSAT ratings", kind: "number", value: (r) => r.csat.count },
  ];
}

const shiftColumn = <R extends { shiftSeconds: number }>(): Column<R> => ({
  header: "Time on shift (min)",
  kind: "minutes",
  value: (r) => Math.round(r.shiftSeconds / 0.6) / 100,
});

const pageSize = 1000;

/** The queries created in the period, oldest first, read a page at a time. */
function queriesTable(deps: Pick<Deps, "store">, orgId: string, p: Period): Table<Query> {
  const range = daysRange(p.from, p.to, p.tz);
  const names = new Map<string, string>();
  const name = (id: string | null) => (id ? names.get(id) ?? id : null);
  return {
    columns: [
      { header: "Reference", kind: "text", value: (q) => q.reference },
      { header: "Title", kind: "text", value: (q) => q.title },
      { header: "Status", kind: "text", value: (q) => q.status },
      { header: "Priority", kind: "text", value: (q) => q.priority },
      { header: "Source", kind: "text", value: (q) => q.source },
      { header: "Team", kind: "text", value: (q) => q.team },
      { header: "Assigned to", kind: "text", value: (q) => name(q.assignedTo) },
      { header: "Created at", kind: "date", value: (q) => q.createdAt },
      { header: "Assigned at", kind: "date", value: (q) => q.assignedAt },
      { header: "First response at", kind: "date", value: (q) => q.firstResponseAt },
      { header: "Resolved at", kind: "date", value: (q) => q.resolvedAt },
      { header: "Closed at", kind: "date", value: (q) => q.closedAt },
      {
        header: "First response (min)",
        kind: "minutes",
        value: (q) => minutes(q.createdAt, q.firstResponseAt),
      },
      {
        header: "Resolution (min)",
        kind: "minutes",
        value: (q) => minutes(q.createdAt, q.resolvedAt),
      },
      { header: "SLA breached", kind: "boolean", value: (q) => q.breached },
      { header: "CSAT", kind: "number", value: (q) => q.csat?.rating ?? null },
    ],
    async *pages() {
      for (let page = 1;; page++) {
        const result = await deps.store.users.list(orgId, { roles: ["Admin", "TL", "Agent"] }, {
          page,
          limit: 100,
        });
        for (const u of result.data) names.set(u.id, u.name);
        if (page * 100 >= result.total || !result.data.length) break;
      }
      let after: Query | null = null;
      while (true) {
        const page: Query[] = await deps.store.reports.createdPage(orgId, range, after, pageSize);
        if (page.length) yield page;
        if (page.length < pageSize) return;
        after = page.at(-1)!;
      }
    },
  };
}

function agentsTable(reports: ReportService, orgId: string, p: Period): Table<AgentReportRow> {
  return {
    columns: [
      { header: "Agent", kind: "text", value: (r) => r.name },
      { header: "Agent id", kind: "text", value: (r) => r.agentId },
      { header: "Team", kind: "text", value: (r) => r.team },
      ...performanceColumns<AgentReportRow>(),
      shiftColumn<AgentReportRow>(),
    ],
    async *pages() {
      yield await reports.agents(orgId, p);
    },
  };
}

function teamsTable(reports: ReportService, orgId: string, p: Period): Table<TeamReportRow> {
  return {
    columns: [
      { header: "Team", kind: "text", value: (r) => r.team ?? "(no team)" },
      { header: "Agents", kind: "number", value: (r) => r.agents },
      ...performanceColumns<TeamReportRow>(),
      shiftColumn<TeamReportRow>(),
    ],
    async *pages() {
      yield await reports.teams(orgId, p);
    },
  };
}

/** The table an export of `type` writes. */
export function exportTable(
  deps: Pick<Deps, "store">,
  reports: ReportService,
  type: ExportType,
  orgId: string,
  p: Period,
): Table<unknown> {
  const table = type === "queries"
    ? queriesTable(deps, orgId, p)
    : type === "agents"
    ? agentsTable(reports, orgId, p)
    : teamsTable(reports, orgId, p);
  return table as Table<unknown>;
}
