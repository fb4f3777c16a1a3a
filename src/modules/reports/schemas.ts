import { z } from "@hono/zod-openapi";
import { queryStatuses } from "@/modules/queries/model.ts";
import { isDay, isTimeZone } from "./time.ts";
import { exportTypes } from "./tables.ts";

const Day = z.string().refine(isDay, "Expected a date written YYYY-MM-DD").openapi({
  example: "2026-03-29",
});

const Tz = z.string().max(64).refine(isTimeZone, "Expected an IANA time zone").openapi({
  description: "IANA time zone of the days (default: the organization's)",
  example: "Europe/Berlin",
});

export const DashboardQuery = z.object({ tz: Tz.optional() });

export const PeriodQuery = z.object({
  from: Day.optional().openapi({ description: "First local day (default: 6 days before `to`)" }),
  to: Day.optional().openapi({ description: "Last local day, inclusive (default: today)" }),
  tz: Tz.optional(),
});

export const ExportQuery = PeriodQuery.extend({
  type: z.enum(exportTypes),
  format: z.enum(["xlsx", "csv"]).default("xlsx"),
});

const Seconds = z.number().nullable();
const DurationSchema = z.object({
  count: z.number().int(),
  averageSeconds: Seconds,
  medianSeconds: Seconds,
});

const Performance = {
  assigned: z.number().int(),
  resolved: z.number().int(),
  reopened: z.number().int(),
  firstResponse: DurationSchema,
  resolution: DurationSchema,
  slaBreaches: z.number().int(),
  slaMetPercent: z.object({
    firstResponse: z.number().nullable(),
    resolution: z.number().nullable(),
  }),
  csat: z.object({ average: z.number().nullable(), count: z.number().int() }),
  shiftSeconds: z.number().int(),
};

const PeriodSchema = z.object({ from: z.string(), to: z.string(), tz: z.string() });

export const AgentReportSchema = z.object({
  period: PeriodSchema,
  data: z.array(z.object({
    agentId: z.string(),
    name: z.string(),
    team: z.string().nullable(),
    ...Performance,
  })),
}).openapi("AgentReport");

export const TeamReportSchema = z.object({
  period: PeriodSchema,
  data: z.array(
    z.object({
      team: z.string().nullable(),
      teamId: z.string().nullable(),
      agents: z.number().int(),
      ...Performance,
    }),
  ),
}).openapi("TeamReport");

export const TrendsSchema = z.object({
  period: PeriodSchema,
  data: z.array(
    z.object({ day: z.string(), created: z.number().int(), resolved: z.number().int() }),
  ),
}).openapi("Trends");

const Average = z.object({ count: z.number().int(), averageSeconds: Seconds });

export const DashboardSchema = z.object({
  day: z.string(),
  tz: z.string(),
  queries: z.object({
    total: z.number().int(),
    byStatus: z.record(z.enum(queryStatuses), z.number().int()),
    open: z.number().int(),
    waiting: z.number().int(),
    inProgress: z.number().int(),
    closed: z.number().int(),
    createdToday: z.number().int(),
    resolvedToday: z.number().int(),
  }),
  agents: z.object({ online: z.number().int(), onShift: z.number().int() }),
  firstResponse: Average,
  resolution: Average,
  sla: z.object({
    decided: z.number().int(),
    missed: z.number().int(),
    breachRatePercent: z.number().nullable(),
    breaches: z.number().int(),
  }),
  csat: z.object({ average: z.number().nullable(), count: z.number().int() }),
}).openapi("Dashboard");
