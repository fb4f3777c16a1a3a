import { createRoute, type z } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import { bearer, errors, jsonResponse, router } from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import { assertXlsxFits, csvStream, xlsxStream } from "./export.ts";
import {
  AgentReportSchema,
  DashboardQuery,
  DashboardSchema,
  ExportQuery,
  PeriodQuery,
  TeamReportSchema,
  TrendsSchema,
} from "./schemas.ts";
import { type Period, recentDays, type ReportService } from "./service.ts";
import { exportTable } from "./tables.ts";
import { addDays } from "./time.ts";

const tags = ["Reports"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };
const defaultDays = 7;

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/**
 * `/reports`: dashboard, agent and team performance, trends and exports of one organization,
 * for TL, QA and Admin (SuperAdmin under `/superadmin/organizations/:orgId/reports`).
 */
export function reportRoutes(
  deps: Pick<Deps, "store" | "clock" | "config">,
  reports: ReportService,
) {
  const app = router();
  app.use("/*", requirePermission("reports.read"));
  const periodOf = async (orgId: string, q: z.infer<typeof PeriodQuery>): Promise<Period> => {
    const tz = q.tz ?? await reports.timezoneOf(orgId);
    const today = recentDays(deps.clock.now().getTime(), tz, 1).to;
    const to = q.to ?? (q.from && q.from > today ? q.from : today);
    return { from: q.from ?? addDays(to, -(defaultDays - 1)), to, tz };
  };
  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/dashboard",
        tags,
        security: bearer,
        summary: "Live figures of the organization now and today",
        description: "Queries by status now; created, resolved, response and resolution times, " +
          "SLA outcomes and CSAT of today (local day in `tz`); agents online and on shift.",
        request: { query: DashboardQuery },
        responses: { 200: jsonResponse(DashboardSchema, "The dashboard"), ...common },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const tz = q.tz ?? await reports.timezoneOf(c.get("orgId"));
        return c.json(await reports.dashboard(c.get("orgId"), tz), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/agents",
        tags,
        security: bearer,
        summary: "Performance per agent over local days",
        request: { query: PeriodQuery },
        responses: { 200: jsonResponse(AgentReportSchema, "One row per agent"), ...common },
      }),
      async (c) => {
        const period = await periodOf(c.get("orgId"), c.req.valid("query"));
        return c.json({ period, data: await reports.agents(c.get("orgId"), period) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/teams",
        tags,
        security: bearer,
        summary: "Performance per team (the agents' team) over local days",
        request: { query: PeriodQuery },
        responses: { 200: jsonResponse(TeamReportSchema, "One row per team"), ...common },
      }),
      async (c) => {
        const period = await periodOf(c.get("orgId"), c.req.valid("query"));
        return c.json({ period, data: await reports.teams(c.get("orgId"), period) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/trends",
        tags,
        security: bearer,
        summary: "Queries created and resolved per local day",
        request: { query: PeriodQuery },
        responses: { 200: jsonResponse(TrendsSchema, "One entry per day"), ...common },
      }),
      async (c) => {
        const period = await periodOf(c.get("orgId"), c.req.valid("query"));
        return c.json({ period, data: await reports.trends(c.get("orgId"), period) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/export",
        tags,
        security: bearer,
        summary: "Export queries, agents or teams as .xlsx or CSV",
        description: "xlsx: typed cells (dates as dates in `tz`, durations in minutes as " +
          "numbers), at most EXPORT_XLSX_MAX_ROWS rows (400 otherwise). CSV: RFC 4180, UTF-8. " +
          "Both are streamed. Cells starting with = + - @ are prefixed with an apostrophe.",
        request: { query: ExportQuery },
        responses: {
          200: {
            description: "The file, as an attachment",
            content: {
              [xlsxType]: { schema: { type: "string", format: "binary" } },
              "text/csv": { schema: { type: "string" } },
            },
          },
          ...common,
        },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const period = await periodOf(c.get("orgId"), q);
        const table = exportTable(deps, reports, q.type, c.get("orgId"), period);
        const name = `${q.type}-${period.from}-to-${period.to}.${q.format}`;
        c.header("Content-Disposition", `attachment; filename="${name}"`);
        c.header("Cache-Control", "no-store");
        if (q.format === "csv") {
          c.header("Content-Type", "text/csv; charset=utf-8; header=present");
          return c.body(csvStream(table, period.tz), 200);
        }
        const maxRows = deps.config.xlsxMaxRows;
        if (q.type === "queries") {
          await assertXlsxFits(deps, { orgId: c.get("orgId"), period, maxRows });
        }
        c.header("Content-Type", xlsxType);
        const sheetName = q.type[0]!.toUpperCase() + q.type.slice(1);
        return c.body(xlsxStream(table, { tz: period.tz, sheetName, maxRows }), 200);
      },
    );
}
