import { actorOf } from "@/http/env.ts";
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
import type { EmailService, MailboxPatch, NewMailbox } from "./service.ts";
import {
  IdParam,
  MailboxBody,
  MailboxPatchBody,
  MailboxSchema,
  PollReportSchema,
  TestResultSchema,
} from "./schemas.ts";

const tags = ["Email"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** `/email-config`: the organization's support mailboxes (Admin; SuperAdmin by path). */
export function emailConfigRoutes(email: EmailService) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "List mailboxes",
        middleware: [requirePermission("email.manage")] as const,
        request: { query: PageQuery },
        responses: { 200: jsonResponse(pageOf(MailboxSchema), "Mailboxes"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await email.list(c.get("orgId"), page);
        return c.json({ data: result.data, meta: { total: result.total, ...page } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Add a mailbox (passwords are encrypted at rest and never shown)",
        middleware: [requirePermission("email.manage")] as const,
        request: { body: jsonBody(MailboxBody) },
        responses: { 201: jsonResponse(MailboxSchema, "The new mailbox"), ...common },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const input: NewMailbox = {
          ...body,
          imap: defined(body.imap),
          smtp: defined(body.smtp),
        };
        return c.json(await email.create(actorOf(c), input), 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "One mailbox, with its polling state and last error",
        middleware: [requirePermission("email.manage")] as const,
        request: { params: IdParam },
        responses: { 200: jsonResponse(MailboxSchema, "The mailbox"), ...common },
      }),
      async (c) => c.json(await email.get(c.get("orgId"), c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Change a mailbox",
        middleware: [requirePermission("email.manage")] as const,
        request: { params: IdParam, body: jsonBody(MailboxPatchBody) },
        responses: { 200: jsonResponse(MailboxSchema, "The mailbox"), ...common },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const patch: MailboxPatch = defined({
          ...body,
          imap: body.imap ? defined(body.imap) : undefined,
          smtp: body.smtp ? defined(body.smtp) : undefined,
        });
        const id = c.req.valid("param").id;
        return c.json(await email.update(actorOf(c), id, patch), 200);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Remove a mailbox (its imported queries stay)",
        middleware: [requirePermission("email.manage")] as const,
        request: { params: IdParam },
        responses: { 204: { description: "Removed" }, ...common },
      }),
      async (c) => {
        await email.remove(actorOf(c), c.req.valid("param").id);
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/test",
        tags,
        security: bearer,
        summary: "Try the IMAP login and the SMTP handshake",
        middleware: [requirePermission("email.manage")] as const,
        request: { params: IdParam },
        responses: { 200: jsonResponse(TestResultSchema, "Each result, in words"), ...common },
      }),
      async (c) => c.json(await email.test(c.get("orgId"), c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/poll",
        tags,
        security: bearer,
        summary: "Poll this mailbox now and answer with what was imported",
        middleware: [requirePermission("email.manage")] as const,
        request: { params: IdParam },
        responses: { 200: jsonResponse(PollReportSchema, "What the poll did"), ...common },
      }),
      async (c) => c.json(await email.poll(c.get("orgId"), c.req.valid("param").id), 200),
    );
}
