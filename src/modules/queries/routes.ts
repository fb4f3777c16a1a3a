import { createRoute } from "@hono/zod-openapi";
import {
  bearer,
  defined,
  errors,
  jsonBody,
  jsonResponse,
  pageOf,
  PageQuery,
  router,
} from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import type { QueryService } from "./service.ts";
import { actorOf } from "@/http/env.ts";
import type { QueryListFilter } from "./service.ts";
import { fieldFilter } from "@/modules/custom_fields/schemas.ts";
import {
  AssignBody,
  CreateQueryBody,
  CsatBody,
  EditQueryBody,
  HistoryEntrySchema,
  IdParam,
  ListQueriesQuery,
  PriorityBody,
  QuerySchema,
  QueryViewSchema,
  StatusBody,
  TransferBody,
} from "./schemas.ts";
import type { Clock } from "@/clock.ts";

const tags = ["Queries"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };
const one = (description: string) => ({
  200: jsonResponse(QuerySchema, description),
  ...common,
  409: errors[409],
});

/** `/queries`: the ticket lifecycle. Mounted behind requireAuth and tenant. */
export function queryRoutes(queries: QueryService, clock: Clock) {
  const app = router();
  app.use("/", requirePermission("queries.read"));
  app.use("/*", requirePermission("queries.read"));
  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "List the queries the caller may see",
        description: "A Customer sees their own; an Agent those assigned to them and the " +
          "waiting ones they could take; TL, QA and Admin the organization's.",
        request: { query: ListQueriesQuery },
        responses: { 200: jsonResponse(pageOf(QuerySchema), "A page of queries"), ...common },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const filter: QueryListFilter = {};
        if (q.status) filter.statuses = q.status;
        if (q.priority) filter.priorities = q.priority;
        if (q.assignedTo) filter.assignedTo = q.assignedTo === "none" ? null : q.assignedTo;
        if (q.source) filter.source = q.source;
        if (q.tag) filter.tag = q.tag;
        if (q.team) filter.team = q.team;
        if (q.skill) filter.skill = q.skill;
        if (q.customerId) filter.customerId = q.customerId;
        if (q.from) filter.createdFrom = new Date(q.from).toISOString();
        if (q.to) filter.createdTo = new Date(q.to).toISOString();
        if (q.q) filter.text = q.q;
        if (q.field) filter.field = fieldFilter(q.field);
        if (q.breached !== undefined) filter.breached = q.breached;
        if (q.dueWithinMinutes !== undefined) {
          filter.dueBefore = new Date(clock.now().getTime() + q.dueWithinMinutes * 60_000)
            .toISOString();
        }
        const page = { page: q.page, limit: q.limit };
        const result = await queries.list(actorOf(c), filter, {
          field: q.sort,
          order: q.order,
        }, page);
        return c.json({ data: result.data, meta: { total: result.total, ...page } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Open a query",
        description: "A Customer opens their own; staff name the customer. The query is " +
          "offered at once to a free agent with its skill, or waits in the queue.",
        middleware: [requirePermission("queries.create")] as const,
        request: { body: jsonBody(CreateQueryBody) },
        responses: { 201: jsonResponse(QuerySchema, "The new query"), ...common },
      }),
      async (c) => {
        return c.json(await queries.create(actorOf(c), defined(c.req.valid("json"))), 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "One query, with its place in the queue while it waits",
        request: { params: IdParam },
        responses: { 200: jsonResponse(QueryViewSchema, "The query"), ...common },
      }),
      async (c) => c.json(await queries.get(actorOf(c), c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Edit title, description, tags, skill, team or who it waits on",
        middleware: [requirePermission("queries.work")] as const,
        request: { params: IdParam, body: jsonBody(EditQueryBody) },
        responses: one("The edited query"),
      }),
      async (c) => {
        const edit = defined(c.req.valid("json"));
        return c.json(await queries.edit(actorOf(c), c.req.valid("param").id, edit), 200);
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}/status",
        tags,
        security: bearer,
        summary: "Move along the lifecycle",
        description: "Open → Assigned → In Progress → Resolved → Closed; Resolved may reopen " +
          "to In Progress. Anything else is 409 with the allowed next states.",
        middleware: [requirePermission("queries.work")] as const,
        request: { params: IdParam, body: jsonBody(StatusBody) },
        responses: one("The query in its new state"),
      }),
      async (c) => {
        const { status, reason } = c.req.valid("json");
        return c.json(
          await queries.setStatus(actorOf(c), c.req.valid("param").id, status, reason),
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}/priority",
        tags,
        security: bearer,
        summary: "Change the priority (its SLA targets follow)",
        middleware: [requirePermission("queries.lead")] as const,
        request: { params: IdParam, body: jsonBody(PriorityBody) },
        responses: one("The query"),
      }),
      async (c) => {
        const { priority, reason } = c.req.valid("json");
        return c.json(
          await queries.setPriority(actorOf(c), c.req.valid("param").id, priority, reason),
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}/assign",
        tags,
        security: bearer,
        summary: "Assign to an agent (409 when they are at their maximum)",
        middleware: [requirePermission("queries.lead")] as const,
        request: { params: IdParam, body: jsonBody(AssignBody) },
        responses: one("The assigned query"),
      }),
      async (c) => {
        const { assignedTo, reason } = c.req.valid("json");
        return c.json(
          await queries.assign(actorOf(c), c.req.valid("param").id, assignedTo, reason),
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/transfer",
        tags,
        security: bearer,
        summary: "Transfer to an agent, or to a team's queue, with a reason",
        middleware: [requirePermission("queries.work")] as const,
        request: { params: IdParam, body: jsonBody(TransferBody) },
        responses: one("The transferred query"),
      }),
      async (c) => {
        const body = c.req.valid("json");
        const to = body.toAgentId ? { agentId: body.toAgentId } : { team: body.toTeam! };
        return c.json(
          await queries.transfer(actorOf(c), c.req.valid("param").id, to, body.reason),
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/history",
        tags,
        security: bearer,
        summary: "Every change: who, when, from, to and why",
        request: { params: IdParam, query: PageQuery.strict() },
        responses: { 200: jsonResponse(pageOf(HistoryEntrySchema), "Oldest first"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await queries.history(actorOf(c), c.req.valid("param").id, page);
        return c.json({ data: result.data, meta: { total: result.total, ...page } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/csat",
        tags,
        security: bearer,
        summary: "Rate a resolved query, once (its customer)",
        middleware: [requirePermission("queries.rate")] as const,
        request: { params: IdParam, body: jsonBody(CsatBody) },
        responses: {
          201: jsonResponse(QuerySchema, "The rated query"),
          ...common,
          409: errors[409],
        },
      }),
      async (c) => {
        const { rating, comment } = c.req.valid("json");
        return c.json(
          await queries.rate(actorOf(c), c.req.valid("param").id, rating, comment),
          201,
        );
      },
    );
}
