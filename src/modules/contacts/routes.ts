import { createRoute } from "@hono/zod-openapi";
import { actorOf } from "@/http/env.ts";
import {
  bearer,
  errors,
  jsonBody,
  jsonResponse,
  pageOf,
  PageQuery,
  router,
} from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import { MessageSchema } from "@/modules/chat/schemas.ts";
import { fieldFilter } from "@/modules/custom_fields/schemas.ts";
import { messageView } from "@/modules/chat/repository.ts";
import { QuerySchema } from "@/modules/queries/schemas.ts";
import type { ContactService } from "./service.ts";
import {
  ContactExportSchema,
  ContactIdParam,
  ContactPatchBody,
  ContactSchema,
  ListContactsQuery,
  MergeBody,
  NewContactBody,
} from "./schemas.ts";

const tags = ["Contacts"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** `/contacts`: the organization's customers. Mounted behind requireAuth and tenant. */
export function contactRoutes(contacts: ContactService) {
  const app = router();
  app.use("/", requirePermission("contacts.read"));
  app.use("/*", requirePermission("contacts.read"));
  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "Find contacts",
        description: "TL, QA and Admin see every contact of the organization; an Agent those " +
          "of the queries they may see. Merged contacts are not listed.",
        request: { query: ListContactsQuery },
        responses: { 200: jsonResponse(pageOf(ContactSchema), "A page of contacts"), ...common },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const page = { page: q.page, limit: q.limit };
        const result = await contacts.list(
          actorOf(c),
          {
            ...(q.q ? { text: q.q } : {}),
            ...(q.field ? { field: fieldFilter(q.field) } : {}),
          },
          { field: q.sort, order: q.order },
          page,
        );
        return c.json({ data: result.data, meta: { total: result.total, ...page } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Add a contact",
        description: "A contact without a portal login; they may set a password later with " +
          "the password reset of their organization.",
        middleware: [requirePermission("contacts.write")] as const,
        request: { body: jsonBody(NewContactBody) },
        responses: {
          201: jsonResponse(ContactSchema, "The new contact"),
          ...common,
          409: errors[409],
        },
      }),
      async (c) => c.json(await contacts.create(actorOf(c), c.req.valid("json")), 201),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Read a contact",
        request: { params: ContactIdParam },
        responses: { 200: jsonResponse(ContactSchema, "The contact"), ...common },
      }),
      async (c) => c.json(await contacts.get(actorOf(c), c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Correct a contact: name, email, phone, custom fields",
        middleware: [requirePermission("contacts.write")] as const,
        request: { params: ContactIdParam, body: jsonBody(ContactPatchBody) },
        responses: {
          200: jsonResponse(ContactSchema, "The contact as stored"),
          ...common,
          409: errors[409],
        },
      }),
      async (c) =>
        c.json(
          await contacts.update(actorOf(c), c.req.valid("param").id, c.req.valid("json")),
          200,
        ),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/queries",
        tags,
        security: bearer,
        summary: "The contact's queries from every channel, newest first",
        request: { params: ContactIdParam, query: PageQuery.strict() },
        responses: { 200: jsonResponse(pageOf(QuerySchema), "A page of queries"), ...common },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const page = { page: q.page, limit: q.limit };
        const result = await contacts.queries(actorOf(c), c.req.valid("param").id, page);
        return c.json({ data: result.data, meta: { total: result.total, ...page } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/conversations",
        tags,
        security: bearer,
        summary: "Messages across the contact's rooms, newest first",
        request: { params: ContactIdParam, query: PageQuery.strict() },
        responses: { 200: jsonResponse(pageOf(MessageSchema), "A page of messages"), ...common },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const page = { page: q.page, limit: q.limit };
        const result = await contacts.conversations(actorOf(c), c.req.valid("param").id, page);
        return c.json({
          data: result.data.map(messageView),
          meta: { total: result.total, ...page },
        }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/merge",
        tags,
        security: bearer,
        summary: "Merge another contact into this one",
        description: "The other contact's queries (with their ratings), rooms, messages, " +
          "files, calls and notifications move to this one, and its address finds this " +
          "contact from then on (mail threads, imports). Its sessions end; this contact " +
          "takes its login when it has none. A merge interrupted half-way completes when it " +
          "is asked again.",
        middleware: [requirePermission("contacts.merge")] as const,
        request: { params: ContactIdParam, body: jsonBody(MergeBody) },
        responses: { 200: jsonResponse(ContactSchema, "The contact after the merge"), ...common },
      }),
      async (c) =>
        c.json(
          await contacts.merge(actorOf(c), c.req.valid("param").id, c.req.valid("json").otherId),
          200,
        ),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/export",
        tags,
        security: bearer,
        summary: "Everything stored about the contact, as one JSON document (GDPR access)",
        middleware: [requirePermission("contacts.privacy")] as const,
        request: { params: ContactIdParam },
        responses: { 200: jsonResponse(ContactExportSchema, "The contact's data"), ...common },
      }),
      async (c) => {
        const data = await contacts.export(actorOf(c), c.req.valid("param").id);
        c.header("Content-Disposition", `attachment; filename="contact-${data.contact.id}.json"`);
        return c.json(data as never, 200);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Erase the contact (GDPR erasure)",
        description: "Deletes the contact's profile, files and mail threads and replaces the " +
          "words they wrote (messages, query titles and descriptions, rating comments) with " +
          '"[erased]". Query numbers, statuses, ratings and the team\'s own messages stay; open ' +
          "queries are closed. The audit log records the act, not the data.",
        middleware: [requirePermission("contacts.privacy")] as const,
        request: { params: ContactIdParam },
        responses: { 204: { description: "Erased" }, ...common },
      }),
      async (c) => {
        await contacts.erase(actorOf(c), c.req.valid("param").id);
        return c.body(null, 204);
      },
    );
}
