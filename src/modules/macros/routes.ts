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
  withoutOrg,
} from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import { actorOf } from "@/http/env.ts";
import { textBlock, textLine } from "@/modules/text.ts";
import { priorities, queryStatuses } from "@/modules/queries/model.ts";
import { IdParam, QuerySchema } from "@/modules/queries/schemas.ts";
import type { MacroService } from "./service.ts";
import type { MacroStep } from "./model.ts";

const LabelIds = z.array(z.string().min(1).max(64)).max(20);

const Step = z.discriminatedUnion("type", [
  z.object({ type: z.literal("status"), status: z.enum(queryStatuses) }).strict(),
  z.object({ type: z.literal("priority"), priority: z.enum(priorities) }).strict(),
  z.object({ type: z.literal("labels"), add: LabelIds.optional(), remove: LabelIds.optional() })
    .strict(),
  z.object({ type: z.literal("team"), team: textLine(60).nullable() }).strict(),
  z.object({ type: z.literal("reply"), text: textBlock(20_000) }).strict(),
  z.object({ type: z.literal("note"), text: textBlock(20_000) }).strict(),
]).openapi("MacroStep");

const Visibility = z.enum(["organization", "personal"]);

const MacroSchema = z.object({
  id: z.string(),
  name: z.string(),
  visibility: Visibility,
  ownerId: z.string(),
  steps: z.array(Step),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("Macro");

const MacroBody = z.object({
  name: textLine(100),
  visibility: Visibility.default("personal"),
  steps: z.array(Step).min(1).max(20),
}).strict();

const MacroPatch = z.object({
  name: textLine(100).optional(),
  visibility: Visibility.optional(),
  steps: z.array(Step).min(1).max(20).optional(),
}).strict();

const Id = z.object({ id: z.string().min(1).max(64) });
const tags = ["Macros"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** `/macros`: saved sequences of actions, the organization's and one's own. */
export function macroRoutes(macros: MacroService) {
  const app = router();
  app.use("*", requirePermission("macros.use"));
  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "The organization's macros and my own, by name",
        request: { query: PageQuery.strict() },
        responses: { 200: jsonResponse(pageOf(MacroSchema), "A page of macros"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await macros.list(actorOf(c), page);
        return c.json(
          { data: result.data.map(withoutOrg), meta: { total: result.total, ...page } },
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
        summary: "One macro (another agent's personal one answers 404)",
        request: { params: Id },
        responses: { 200: jsonResponse(MacroSchema, "The macro"), ...common },
      }),
      async (c) => c.json(withoutOrg(await macros.get(actorOf(c), c.req.valid("param").id)), 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Save a macro: organization-wide (Admin, TL) or personal",
        request: { body: jsonBody(MacroBody) },
        responses: {
          201: jsonResponse(MacroSchema, "The new macro"),
          ...common,
          422: errors[422],
        },
      }),
      async (c) => {
        const b = c.req.valid("json");
        const steps = b.steps.map((s) => defined(s)) as MacroStep[];
        return c.json(withoutOrg(await macros.create(actorOf(c), { ...b, steps })), 201);
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Change a macro",
        request: { params: Id, body: jsonBody(MacroPatch) },
        responses: { 200: jsonResponse(MacroSchema, "The macro"), ...common, 422: errors[422] },
      }),
      async (c) => {
        const { steps, ...rest } = defined(c.req.valid("json"));
        const patch = steps
          ? { ...rest, steps: steps.map((s) => defined(s)) as MacroStep[] }
          : rest;
        return c.json(
          withoutOrg(await macros.update(actorOf(c), c.req.valid("param").id, patch)),
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Remove a macro",
        request: { params: Id },
        responses: { 204: { description: "Removed" }, ...common },
      }),
      async (c) => {
        await macros.remove(actorOf(c), c.req.valid("param").id);
        return c.body(null, 204);
      },
    );
}

/** `POST /queries/{id}/macros/{macroId}`: runs a macro on a query, all of it or none. */
export function macroRunRoutes(macros: MacroService) {
  return router().openapi(
    createRoute({
      method: "post",
      path: "/{id}/macros/{macroId}",
      tags: ["Queries", ...tags],
      security: bearer,
      summary: "Run a macro: every step checked first, then all apply (or none), events once",
      middleware: [requirePermission("macros.use")] as const,
      request: { params: IdParam.extend({ macroId: z.string().min(1).max(64) }) },
      responses: {
        200: jsonResponse(QuerySchema, "The query after every step"),
        ...common,
        409: errors[409],
        422: errors[422],
      },
    }),
    async (c) => {
      const { id, macroId } = c.req.valid("param");
      return c.json(await macros.run(actorOf(c), id, macroId), 200);
    },
  );
}
