import {
  CustomValuesBody,
  CustomValueSchema,
  FieldFilter,
} from "@/modules/custom_fields/schemas.ts";
import { z } from "@hono/zod-openapi";
import { PageQuery } from "@/http/openapi.ts";
import { priorities, queryStatuses, sources } from "./model.ts";
import { querySortFields } from "./repository.ts";
import { textBlock, textLine } from "@/modules/text.ts";

const Iso = z.string().openapi({ format: "date-time" });
const Text = textBlock;
const Tag = textLine(40).regex(/^[^,]+$/, "no commas in a tag");
const Name = textLine(60);

export const IdParam = z.object({
  id: z.string().min(1).max(64).describe("The query's id, or its readable reference (`Q-000123`)"),
});

export const QuerySchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  number: z.number().int(),
  reference: z.string().openapi({ example: "Q-000123" }),
  title: z.string(),
  description: z.string(),
  status: z.enum(queryStatuses),
  priority: z.enum(priorities),
  source: z.enum(sources),
  customerId: z.string(),
  assignedTo: z.string().nullable(),
  team: z.string().nullable(),
  skill: z.string().nullable(),
  tags: z.array(z.string()),
  roomId: z.string().nullable(),
  waitingOn: z.enum(["agent", "customer"]),
  createdBy: z.string(),
  createdAt: Iso,
  updatedAt: Iso,
  assignedAt: Iso.nullable(),
  firstResponseAt: Iso.nullable(),
  resolvedAt: Iso.nullable(),
  closedAt: Iso.nullable(),
  firstResponseDueAt: Iso.nullable(),
  resolutionDueAt: Iso.nullable(),
  slaPausedAt: Iso.nullable(),
  firstResponseBreachedAt: Iso.nullable(),
  resolutionBreachedAt: Iso.nullable(),
  breached: z.boolean(),
  csat: z.object({ rating: z.number().int(), comment: z.string().nullable(), ratedAt: Iso })
    .nullable(),
  customFields: z.record(z.string(), CustomValueSchema),
}).openapi("Query");

export const QueryViewSchema = QuerySchema.extend({
  queuePosition: z.number().int().nullable().openapi({
    description: "For its customer, the waiting queries ahead of this one; null once assigned",
  }),
}).openapi("QueryView");

export const HistoryEntrySchema = z.object({
  id: z.string(),
  queryId: z.string(),
  actorId: z.string(),
  action: z.string(),
  field: z.string().nullable(),
  from: z.unknown(),
  to: z.unknown(),
  reason: z.string().nullable(),
  at: Iso,
}).openapi("QueryHistoryEntry");

export const CreateQueryBody = z.object({
  title: textLine(200),
  description: Text(10_000),
  priority: z.enum(priorities).optional(),
  source: z.enum(sources).optional(),
  customerId: z.string().min(1).max(64).optional().openapi({
    description: "Required when staff create a query for a customer",
  }),
  skill: Name.nullable().optional(),
  team: Name.nullable().optional(),
  tags: z.array(Tag).max(20).optional(),
  customFields: CustomValuesBody.optional(),
}).strict();

export const EditQueryBody = z.object({
  title: textLine(200).optional(),
  description: Text(10_000).optional(),
  tags: z.array(Tag).max(20).optional(),
  skill: Name.nullable().optional(),
  team: Name.nullable().optional(),
  waitingOn: z.enum(["agent", "customer"]).optional().openapi({
    description: "customer stops the SLA clock until it is set back to agent",
  }),
  customFields: CustomValuesBody.optional(),
}).strict();

export const StatusBody = z.object({
  status: z.enum(queryStatuses),
  reason: Text(500).optional(),
}).strict();

export const PriorityBody = z.object({
  priority: z.enum(priorities),
  reason: Text(500).optional(),
}).strict();

export const AssignBody = z.object({
  assignedTo: z.string().min(1).max(64),
  reason: Text(500).optional(),
}).strict();

export const TransferBody = z.object({
  toAgentId: z.string().min(1).max(64).optional(),
  toTeam: Name.optional(),
  reason: Text(500),
}).strict().refine((b) => (b.toAgentId === undefined) !== (b.toTeam === undefined), {
  message: "give exactly one of toAgentId and toTeam",
  path: ["toAgentId"],
});

export const CsatBody = z.object({
  rating: z.number().int().min(1).max(5),
  comment: Text(2000).optional(),
}).strict();

const list = <T extends [string, ...string[]]>(values: T) =>
  z.string().transform((v, ctx) => {
    const parts = v.split(",").map((s) => s.trim()).filter(Boolean);
    for (const p of parts) {
      if (!values.includes(p)) {
        ctx.addIssue({ code: "custom", message: `expected one of ${values.join(", ")}` });
        return z.NEVER;
      }
    }
    return parts as T[number][];
  }).openapi({ type: "string", description: `Comma-separated: ${values.join(", ")}` });

export const ListQueriesQuery = PageQuery.extend({
  status: list([...queryStatuses]).optional(),
  priority: list([...priorities]).optional(),
  assignedTo: z.string().min(1).max(64).optional().openapi({
    description: 'A user id, or "none" for unassigned',
  }),
  source: z.enum(sources).optional(),
  tag: Tag.optional(),
  team: Name.optional(),
  skill: Name.optional(),
  customerId: z.string().min(1).max(64).optional(),
  from: z.iso.datetime().optional().openapi({ description: "Created at or after" }),
  to: z.iso.datetime().optional().openapi({ description: "Created before" }),
  q: z.string().trim().min(1).max(200).optional().openapi({
    description: "Text in the title, description or reference",
  }),
  breached: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
  dueWithinMinutes: z.coerce.number().int().min(0).max(60 * 24 * 30).optional().openapi({
    description: "Only queries with an SLA target due within this many minutes",
  }),
  field: FieldFilter.optional(),
  sort: z.enum(querySortFields).default("createdAt"),
  order: z.enum(["asc", "desc"]).default("desc"),
}).strict();
