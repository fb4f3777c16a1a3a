import { createRoute, z } from "@hono/zod-openapi";
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
import { actorOf } from "@/http/env.ts";
import { requirePermission } from "@/http/rbac.ts";
import { textBlock, textLine } from "@/modules/text.ts";
import { QuerySchema } from "@/modules/queries/schemas.ts";
import type { TeamService } from "./service.ts";
import { BusinessHoursSchema } from "@/modules/business_hours/service.ts";
import { teamView } from "./model.ts";

const TeamSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  members: z.array(z.string()),
  businessHours: BusinessHoursSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("Team");

const Members = z.array(z.string().min(1).max(64)).max(500);
/** The team's own business hours (null: the organization's apply). */
const TeamHours = BusinessHoursSchema.nullable();
const TeamBody = z.object({
  name: textLine(60),
  description: textBlock(500).optional(),
  members: Members.optional(),
  businessHours: TeamHours.optional(),
}).strict();
const TeamPatch = z.object({
  name: textLine(60).optional(),
  description: textBlock(500).optional(),
  members: Members.optional(),
  businessHours: TeamHours.optional(),
}).strict();

const Id = z.object({ id: z.string().min(1).max(64) });
const tags = ["Teams"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };
const writes = { ...common, 409: errors[409], 422: errors[422] };

/** `/teams`: the organization's teams and their members; staff read them, Admins and TLs edit. */
export function teamRoutes(teams: TeamService) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "The organization's teams, by name",
        middleware: [requirePermission("teams.read")] as const,
        request: { query: PageQuery.strict() },
        responses: { 200: jsonResponse(pageOf(TeamSchema), "A page of teams"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await teams.list(c.get("orgId"), page);
        return c.json(
          { data: result.data.map(teamView), meta: { total: result.total, ...page } },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "One team with its members",
        middleware: [requirePermission("teams.read")] as const,
        request: { params: Id },
        responses: { 200: jsonResponse(TeamSchema, "The team"), ...common },
      }),
      async (c) => c.json(teamView(await teams.get(c.get("orgId"), c.req.valid("param").id)), 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/queue",
        tags,
        security: bearer,
        summary: "The team's own queue: its waiting queries, oldest first",
        middleware: [requirePermission("teams.read")] as const,
        request: { params: Id, query: PageQuery.strict() },
        responses: { 200: jsonResponse(pageOf(QuerySchema), "A page of queries"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await teams.queue(c.get("orgId"), c.req.valid("param").id, page);
        return c.json({ data: result.data, meta: { total: result.total, ...page } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Add a team (its name unique in the organization, whatever the case)",
        middleware: [requirePermission("teams.manage")] as const,
        request: { body: jsonBody(TeamBody) },
        responses: { 201: jsonResponse(TeamSchema, "The new team"), ...writes },
      }),
      async (c) =>
        c.json(teamView(await teams.create(actorOf(c), defined(c.req.valid("json")))), 201),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Rename a team, or set its description or members",
        middleware: [requirePermission("teams.manage")] as const,
        request: { params: Id, body: jsonBody(TeamPatch) },
        responses: { 200: jsonResponse(TeamSchema, "The team"), ...writes },
      }),
      async (c) =>
        c.json(
          teamView(
            await teams.update(
              actorOf(c),
              c.req.valid("param").id,
              defined(c.req.valid("json")),
            ),
          ),
          200,
        ),
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Remove a team (409 while open queries are with it or a web inbox routes to it)",
        middleware: [requirePermission("teams.manage")] as const,
        request: { params: Id },
        responses: { 204: { description: "Removed" }, ...common, 409: errors[409] },
      }),
      async (c) => {
        await teams.remove(actorOf(c), c.req.valid("param").id);
        return c.body(null, 204);
      },
    );
}
