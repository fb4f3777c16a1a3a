import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { actorOf, type AppEnv } from "@/http/env.ts";
import type { StaffService } from "./service.ts";
import {
  bearer,
  errors,
  jsonBody,
  jsonResponse,
  pageOf,
  PageQuery,
  router,
} from "@/http/openapi.ts";
import { pageBody } from "@/http/paging.ts";
import { requirePermission, tenant } from "@/http/rbac.ts";
import { IdParam, PlaceInput } from "@/modules/organizations/schemas.ts";
import { Email, Name, Password, UserSchema } from "@/modules/users/schemas.ts";
import { agentRoles } from "./service.ts";
import { textLine } from "@/modules/text.ts";

const Skill = z.strictObject({
  name: textLine(60),
  level: z.number().int().min(1).max(5),
});
const Phone = z.string().trim().regex(/^[+0-9 ()-]{3,32}$/, "expected a phone number");
const Team = textLine(60);
const agentFields = {
  name: Name,
  email: Email,
  password: Password,
  role: z.enum(agentRoles),
  phone: Phone.nullable().optional(),
  team: Team.nullable().optional(),
  skills: z.array(Skill).max(50).optional(),
  maxConcurrentQueries: z.number().int().min(0).max(100).optional(),
  active: z.boolean().optional(),
  allowedPlaces: z.array(PlaceInput).max(50).optional(),
};
const NewAgent = z.strictObject(agentFields);
const AgentChange = z.strictObject({
  ...agentFields,
  name: Name.optional(),
  email: Email.optional(),
  password: Password.optional(),
  role: z.enum(agentRoles).optional(),
});
const ListQuery = PageQuery.extend({
  role: z.enum(agentRoles).optional(),
  active: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
  team: Team.optional(),
  skill: z.string().max(60).optional(),
  q: z.string().max(100).optional(),
});
const AgentBody = z.object({ agent: UserSchema });

/** `/admin/agents`: TL, QA and Agent accounts of the caller's organization. */
export function staffRoutes(staff: StaffService, authenticate: MiddlewareHandler<AppEnv>) {
  const r = router();
  const read = [authenticate, requirePermission("staff.read"), tenant()];
  const manage = [authenticate, requirePermission("staff.manage"), tenant()];
  const tags = ["admin"];

  r.openapi(
    createRoute({
      method: "get",
      path: "/agents",
      tags,
      summary: "List TL, QA and Agent accounts",
      security: bearer,
      middleware: read,
      request: { query: ListQuery },
      responses: { 200: jsonResponse(pageOf(UserSchema), "Agents"), 403: errors[403] },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(pageBody(await staff.list(actorOf(c), q, q), q), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/agents",
      tags,
      summary: "Create a TL, QA or Agent account",
      security: bearer,
      middleware: manage,
      request: { body: jsonBody(NewAgent) },
      responses: {
        201: jsonResponse(AgentBody, "Created"),
        400: errors[400],
        403: errors[403],
        409: errors[409],
      },
    }),
    async (c) => {
      const agent = await staff.create(actorOf(c), c.req.valid("json"));
      return c.json({ agent }, 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/agents/{id}",
      tags,
      summary: "One TL, QA or Agent account",
      security: bearer,
      middleware: read,
      request: { params: IdParam },
      responses: { 200: jsonResponse(AgentBody, "The agent"), 404: errors[404] },
    }),
    async (c) => c.json({ agent: await staff.get(actorOf(c), c.req.valid("param").id) }, 200),
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/agents/{id}",
      tags,
      summary: "Change an account: profile, role, team, skills, capacity, status, places",
      security: bearer,
      middleware: manage,
      request: { params: IdParam, body: jsonBody(AgentChange) },
      responses: {
        200: jsonResponse(AgentBody, "Updated"),
        400: errors[400],
        403: errors[403],
        404: errors[404],
        409: errors[409],
      },
    }),
    async (c) => {
      const agent = await staff.update(actorOf(c), c.req.valid("param").id, c.req.valid("json"));
      return c.json({ agent }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/agents/{id}",
      tags,
      summary: "Deactivate an account; its history stays",
      security: bearer,
      middleware: manage,
      request: { params: IdParam },
      responses: { 200: jsonResponse(AgentBody, "Deactivated"), 404: errors[404] },
    }),
    async (c) => {
      const agent = await staff.deactivate(actorOf(c), c.req.valid("param").id);
      return c.json({ agent }, 200);
    },
  );
  return r;
}
