import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { AppError } from "@/errors.ts";
import type { AppEnv } from "@/http/env.ts";
import { actorOf } from "@/http/env.ts";
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
import { textBlock, textLine } from "@/modules/text.ts";
import type { QueryService } from "@/modules/queries/service.ts";
import type { ChatService } from "@/modules/chat/service.ts";
import type { UserRepository } from "@/modules/users/repository.ts";
import type { Query } from "@/modules/queries/model.ts";
import { preChatModes } from "./model.ts";
import type { VisitorService } from "./visitors.ts";

const Mode = z.enum(preChatModes);

const SessionBody = z.object({
  websiteToken: z.string().min(1).max(200),
  visitorToken: z.string().min(1).max(200).optional(),
  name: textLine(100).optional(),
  email: z.email().max(254).optional(),
  identifier: textLine(200).optional(),
  identifierHash: z.string().regex(/^[0-9a-fA-F]{64}$/).optional(),
}).strict().openapi("WidgetSessionInput");

const SessionSchema = z.object({
  visitorToken: z.string().openapi({
    description: "Send as `Authorization: Bearer <token>` (REST) or `?token=` (/ws); keep it " +
      "to resume after a reload",
  }),
  contactId: z.string(),
  name: z.string(),
  resumed: z.boolean(),
  inbox: z.object({
    id: z.string(),
    name: z.string(),
    greeting: z.string().nullable(),
    outOfHoursMessage: z.string().nullable(),
    open: z.boolean().openapi({
      description: "Whether the desk is open now (its business hours; always without them)",
    }),
    preChat: z.object({ name: Mode, email: Mode }),
  }),
}).openapi("WidgetSession");

const ConversationSchema = z.object({
  id: z.string(),
  reference: z.string(),
  title: z.string(),
  status: z.string(),
  roomId: z.string().nullable(),
  agentName: z.string().nullable().openapi({ description: "The assigned agent's name" }),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
  rated: z.boolean(),
}).openapi("WidgetConversation");

const OpenBody = z.object({ message: textBlock(5000) }).strict().openapi("WidgetConversationInput");

const tags = ["Web chat"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** 403 unless the caller is a widget visitor (staff and customers use the rest of the API). */
const visitorOnly: MiddlewareHandler<AppEnv> = function visitorOnly(c, next) {
  if (!c.get("auth").visitor) throw new AppError("FORBIDDEN", "For widget visitors only");
  return next();
};

const InboxSettings = SessionSchema.shape.inbox.openapi("WidgetSettings");

/** The public `/widget` routes (no token, an allowed Origin): the inbox's settings, a start. */
export function widgetSessionRoutes(visitors: VisitorService) {
  return router().openapi(
    createRoute({
      method: "get",
      path: "/settings",
      tags,
      summary: "The web inbox's public settings, for a page on one of its origins",
      request: { query: z.object({ websiteToken: z.string().min(1).max(200) }) },
      responses: { 200: jsonResponse(InboxSettings, "What the widget shows"), ...common },
    }),
    async (c) =>
      c.json(
        await visitors.settings(c.req.valid("query").websiteToken, c.req.header("origin")),
        200,
      ),
  ).openapi(
    createRoute({
      method: "post",
      path: "/sessions",
      tags,
      summary: "Start or resume a website visitor",
      description: "From a page on one of the inbox's allowed origins (others: 403). With a " +
        "valid visitorToken the visitor resumes; with identifier and identifierHash " +
        "(HMAC-SHA256 of the identifier with the inbox's secret) it joins the contact with that " +
        "identifier; an email alone never joins an existing contact.",
      request: { body: jsonBody(SessionBody) },
      responses: {
        201: jsonResponse(SessionSchema, "The visitor and its token"),
        ...common,
        422: errors[422],
        429: errors[429],
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const session = await visitors.start({ ...defined(body), origin: c.req.header("origin") });
      return c.json(session, 201);
    },
  );
}

/** `/widget/*` for a visitor token: its conversations, and ending its session. */
export function widgetVisitorRoutes(
  visitors: VisitorService,
  queries: QueryService,
  chat: Pick<ChatService, "send">,
  users: Pick<UserRepository, "findById">,
) {
  const view = async (q: Query) => ({
    id: q.id,
    reference: q.reference,
    title: q.title,
    status: q.status,
    roomId: q.roomId,
    agentName: q.assignedTo
      ? (await users.findById(q.organizationId, q.assignedTo))?.name ?? null
      : null,
    createdAt: q.createdAt,
    resolvedAt: q.resolvedAt,
    rated: q.csat !== null,
  });
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/conversations",
        tags,
        security: bearer,
        summary: "The visitor's conversations, newest first",
        middleware: [visitorOnly] as const,
        request: { query: PageQuery },
        responses: { 200: jsonResponse(pageOf(ConversationSchema), "Conversations"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await queries.list(actorOf(c), {}, {
          field: "createdAt",
          order: "desc",
        }, page);
        const data = await Promise.all(result.data.map(view));
        return c.json({ data, meta: { total: result.total, ...page } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/conversations",
        tags,
        security: bearer,
        summary: "Open a conversation (a Chat query routed as the inbox says) with a first message",
        middleware: [visitorOnly] as const,
        request: { body: jsonBody(OpenBody) },
        responses: { 201: jsonResponse(ConversationSchema, "The conversation"), ...common },
      }),
      async (c) => {
        const actor = actorOf(c);
        const { message } = c.req.valid("json");
        const inbox = await visitors.inboxOf({
          sessionId: c.get("auth").sessionId,
          orgId: actor.orgId,
          inboxId: c.get("auth").visitor!.inboxId,
          contactId: actor.userId,
        });
        if (!inbox) throw new AppError("NOT_FOUND", "This web inbox was removed");
        const firstLine = message.split("\n")[0]!.trim();
        const query = await queries.create(actor, {
          title: firstLine.length > 80 ? `${firstLine.slice(0, 79)}…` : firstLine,
          description: message,
          source: "Chat",
          skill: inbox.routeTo.skill,
          team: inbox.routeTo.teamId,
        });
        if (query.roomId) await chat.send(actor, query.roomId, { text: message });
        return c.json(await view(query), 201);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/sessions/current",
        tags,
        security: bearer,
        summary: "End the visitor's session: its token stops working at once",
        middleware: [visitorOnly] as const,
        responses: { 204: { description: "Ended" }, ...common },
      }),
      async (c) => {
        const auth = c.get("auth");
        await visitors.revoke({
          sessionId: auth.sessionId,
          orgId: auth.orgId!,
          inboxId: auth.visitor!.inboxId,
          contactId: auth.userId,
        });
        return c.body(null, 204);
      },
    );
}
