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
import { actorOf } from "@/http/env.ts";
import { requirePermission } from "@/http/rbac.ts";
import { textBlock, textLine } from "@/modules/text.ts";
import { preChatModes } from "./model.ts";
import type { WebInboxPatchInput, WebInboxService } from "./inboxes.ts";

/** A page origin: scheme, host and port only, as browsers send it in `Origin`. */
const Origin = z.string().max(200).refine((value) => {
  try {
    const url = new URL(value);
    return ["http:", "https:"].includes(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}, "an origin such as https://shop.example (no path, no trailing slash)");

const Mode = z.enum(preChatModes);
const PreChat = z.object({ name: Mode.default("optional"), email: Mode.default("optional") })
  .strict();
const RouteTo = z.object({
  teamId: z.string().min(1).max(64).nullable().default(null),
  skill: textLine(60).nullable().default(null),
}).strict();

const fields = {
  name: textLine(100),
  allowedOrigins: z.array(Origin).min(1).max(20),
  greeting: textBlock(1000).nullable(),
  outOfHoursMessage: textBlock(1000).nullable(),
  preChat: PreChat,
  routeTo: RouteTo,
};

const WebInboxBody = z.object({
  ...fields,
  greeting: fields.greeting.default(null),
  outOfHoursMessage: fields.outOfHoursMessage.default(null),
  preChat: PreChat.default({ name: "optional", email: "optional" }),
  routeTo: RouteTo.default({ teamId: null, skill: null }),
}).strict().openapi("WebInboxInput");

const WebInboxPatch = z.object({
  name: fields.name.optional(),
  allowedOrigins: fields.allowedOrigins.optional(),
  greeting: fields.greeting.optional(),
  outOfHoursMessage: fields.outOfHoursMessage.optional(),
  preChat: z.object({ name: Mode.optional(), email: Mode.optional() }).strict().optional(),
  routeTo: z.object({
    teamId: z.string().min(1).max(64).nullable().optional(),
    skill: textLine(60).nullable().optional(),
  }).strict().optional(),
}).strict().openapi("WebInboxPatch");

const WebInboxSchema = z.object({
  id: z.string(),
  name: z.string(),
  allowedOrigins: z.array(z.string()),
  greeting: z.string().nullable(),
  outOfHoursMessage: z.string().nullable(),
  preChat: z.object({ name: Mode, email: Mode }),
  routeTo: z.object({ teamId: z.string().nullable(), skill: z.string().nullable() }),
  websiteToken: z.string().openapi({ description: "Public: the widget snippet carries it" }),
  createdBy: z.string(),
  createdAt: z.string().openapi({ format: "date-time" }),
  updatedAt: z.string().openapi({ format: "date-time" }),
}).openapi("WebInbox");

const WebInboxWithSecret = WebInboxSchema.extend({
  hmacSecret: z.string().openapi({
    description: "The identity-verification secret, shown in this answer only: the website " +
      "sends identifierHash = HMAC-SHA256(identifier, hmacSecret) as hex",
  }),
}).openapi("WebInboxWithSecret");

const Id = z.object({ id: z.string().min(1).max(64) });
const tags = ["Web inboxes"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** The patch without undefined fields, nested objects included (each names what it changes). */
function patchOf(body: z.infer<typeof WebInboxPatch>): WebInboxPatchInput {
  const { preChat, routeTo, ...rest } = body;
  return {
    ...defined(rest),
    ...(preChat ? { preChat: defined(preChat) } : {}),
    ...(routeTo ? { routeTo: defined(routeTo) } : {}),
  };
}

/** `/inboxes/web`: the organization's website chat channels (Admin). */
export function webInboxRoutes(inboxes: WebInboxService) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "List web inboxes (never their secrets)",
        middleware: [requirePermission("widget.manage")] as const,
        request: { query: PageQuery },
        responses: { 200: jsonResponse(pageOf(WebInboxSchema), "Web inboxes"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await inboxes.list(c.get("orgId"), page);
        return c.json(
          { data: result.data.map(withoutOrg), meta: { total: result.total, ...page } },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Make a web inbox; its identity-verification secret is in this answer only",
        middleware: [requirePermission("widget.manage")] as const,
        request: { body: jsonBody(WebInboxBody) },
        responses: {
          201: jsonResponse(WebInboxWithSecret, "The new inbox"),
          ...common,
          422: errors[422],
        },
      }),
      async (c) => c.json(withoutOrg(await inboxes.create(actorOf(c), c.req.valid("json"))), 201),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "One web inbox",
        middleware: [requirePermission("widget.manage")] as const,
        request: { params: Id },
        responses: { 200: jsonResponse(WebInboxSchema, "The inbox"), ...common },
      }),
      async (c) =>
        c.json(withoutOrg(await inboxes.get(c.get("orgId"), c.req.valid("param").id)), 200),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Change a web inbox",
        middleware: [requirePermission("widget.manage")] as const,
        request: { params: Id, body: jsonBody(WebInboxPatch) },
        responses: { 200: jsonResponse(WebInboxSchema, "The inbox"), ...common, 422: errors[422] },
      }),
      async (c) =>
        c.json(
          withoutOrg(
            await inboxes.update(actorOf(c), c.req.valid("param").id, patchOf(c.req.valid("json"))),
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
        summary: "Remove a web inbox (its widget stops starting visitors at once)",
        middleware: [requirePermission("widget.manage")] as const,
        request: { params: Id },
        responses: { 204: { description: "Removed" }, ...common },
      }),
      async (c) => {
        await inboxes.remove(actorOf(c), c.req.valid("param").id);
        return c.body(null, 204);
      },
    );
}
