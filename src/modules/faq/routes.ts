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
import type { FaqService } from "./service.ts";
import { textBlock, textLine } from "@/modules/text.ts";

const Kind = z.enum(["faq", "canned"]);
const Tags = z.array(textLine(40)).max(20);

const FaqSchema = z.object({
  id: z.string(),
  kind: Kind,
  question: z.string(),
  answer: z.string(),
  shortcut: z.string().nullable(),
  tags: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("FaqEntry");

const FaqBody = z.object({
  kind: Kind.default("faq"),
  question: textLine(500),
  answer: textBlock(10_000),
  shortcut: z.string().trim().regex(/^[a-z0-9-]{1,40}$/, "lower-case letters, digits and -")
    .nullable().default(null),
  tags: Tags.default([]),
}).strict();

const FaqPatch = z.object({
  kind: Kind.optional(),
  question: textLine(500).optional(),
  answer: textBlock(10_000).optional(),
  shortcut: z.string().trim().regex(/^[a-z0-9-]{1,40}$/).nullable().optional(),
  tags: Tags.optional(),
}).strict();

const Id = z.object({ id: z.string().min(1).max(64) });
const tags = ["FAQ"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** `/faq`: FAQ entries and canned answers; staff search, Admin and TL edit. */
export function faqRoutes(faq: FaqService) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "Search FAQ entries and canned answers",
        middleware: [requirePermission("faq.read")] as const,
        request: {
          query: PageQuery.extend({
            q: z.string().trim().min(1).max(200).optional(),
            kind: Kind.optional(),
            tag: z.string().trim().min(1).max(40).optional(),
          }).strict(),
        },
        responses: { 200: jsonResponse(pageOf(FaqSchema), "Matching entries"), ...common },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const page = { page: q.page, limit: q.limit };
        const result = await faq.search(
          c.get("orgId"),
          defined({ kind: q.kind, text: q.q, tag: q.tag }),
          page,
        );
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
        summary: "One entry",
        middleware: [requirePermission("faq.read")] as const,
        request: { params: Id },
        responses: { 200: jsonResponse(FaqSchema, "The entry"), ...common },
      }),
      async (c) => c.json(withoutOrg(await faq.get(c.get("orgId"), c.req.valid("param").id)), 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Add an entry",
        middleware: [requirePermission("faq.manage")] as const,
        request: { body: jsonBody(FaqBody) },
        responses: { 201: jsonResponse(FaqSchema, "The new entry"), ...common },
      }),
      async (c) =>
        c.json(
          withoutOrg(await faq.create(c.get("orgId"), c.get("auth").userId, c.req.valid("json"))),
          201,
        ),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Change an entry",
        middleware: [requirePermission("faq.manage")] as const,
        request: { params: Id, body: jsonBody(FaqPatch) },
        responses: { 200: jsonResponse(FaqSchema, "The entry"), ...common },
      }),
      async (c) =>
        c.json(
          withoutOrg(
            await faq.update(c.get("orgId"), c.req.valid("param").id, defined(c.req.valid("json"))),
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
        summary: "Remove an entry",
        middleware: [requirePermission("faq.manage")] as const,
        request: { params: Id },
        responses: { 204: { description: "Removed" }, ...common },
      }),
      async (c) => {
        await faq.remove(c.get("orgId"), c.req.valid("param").id);
        return c.body(null, 204);
      },
    );
}
