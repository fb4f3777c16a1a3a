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
import { textBlock, textLine } from "@/modules/text.ts";
import type { LabelService } from "./service.ts";

const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, "a colour as #rrggbb");
const Name = textLine(50).regex(/^[^,]+$/, "no commas in a label");

const LabelSchema = z.object({
  id: z.string(),
  name: z.string(),
  color: z.string(),
  description: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("Label");

const LabelBody = z.object({
  name: Name,
  color: Color.optional(),
  description: textBlock(500).optional(),
}).strict();

const LabelPatch = z.object({
  name: Name.optional(),
  color: Color.optional(),
  description: textBlock(500).optional(),
}).strict();

const Id = z.object({ id: z.string().min(1).max(64) });
const tags = ["Labels"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** `/labels`: the organization's label set; staff read it, Admins and TLs edit it. */
export function labelRoutes(labels: LabelService) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "The organization's labels, by name",
        middleware: [requirePermission("labels.read")] as const,
        request: { query: PageQuery.strict() },
        responses: { 200: jsonResponse(pageOf(LabelSchema), "A page of labels"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await labels.list(c.get("orgId"), page);
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
        summary: "One label",
        middleware: [requirePermission("labels.read")] as const,
        request: { params: Id },
        responses: { 200: jsonResponse(LabelSchema, "The label"), ...common },
      }),
      async (c) =>
        c.json(withoutOrg(await labels.get(c.get("orgId"), c.req.valid("param").id)), 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Add a label (its name unique in the organization, whatever the case)",
        middleware: [requirePermission("labels.manage")] as const,
        request: { body: jsonBody(LabelBody) },
        responses: {
          201: jsonResponse(LabelSchema, "The new label"),
          ...common,
          409: errors[409],
        },
      }),
      async (c) =>
        c.json(withoutOrg(await labels.create(c.get("orgId"), defined(c.req.valid("json")))), 201),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Rename or recolour a label; every query carrying it shows the change at once",
        middleware: [requirePermission("labels.manage")] as const,
        request: { params: Id, body: jsonBody(LabelPatch) },
        responses: { 200: jsonResponse(LabelSchema, "The label"), ...common, 409: errors[409] },
      }),
      async (c) =>
        c.json(
          withoutOrg(
            await labels.update(
              c.get("orgId"),
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
        summary: "Remove a label, and take it off every query",
        middleware: [requirePermission("labels.manage")] as const,
        request: { params: Id },
        responses: { 204: { description: "Removed" }, ...common },
      }),
      async (c) => {
        await labels.remove(c.get("orgId"), c.req.valid("param").id);
        return c.body(null, 204);
      },
    );
}
