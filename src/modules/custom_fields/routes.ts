import { createRoute, z } from "@hono/zod-openapi";
import { bearer, errors, jsonBody, jsonResponse, router } from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import { textLine } from "@/modules/text.ts";
import { type CustomFieldService, fieldEntities, fieldTypes } from "./service.ts";

const tags = ["Custom fields"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

const CustomFieldSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  entity: z.enum(fieldEntities),
  key: z.string(),
  label: z.string(),
  type: z.enum(fieldTypes),
  options: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("CustomField");

const Options = z.array(textLine(100)).min(1).max(100);

const NewFieldBody = z.strictObject({
  entity: z.enum(fieldEntities).default("contact"),
  key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "lower-case letters, digits and _"),
  label: textLine(100),
  type: z.enum(fieldTypes),
  options: Options.optional(),
}).refine((b) => (b.type === "list") === (b.options !== undefined), {
  message: "a list field needs its options, and only a list field has them",
  path: ["options"],
});

const FieldPatchBody = z.strictObject({
  label: textLine(100).optional(),
  options: Options.optional(),
});

const Id = z.object({ id: z.string().min(1).max(64) });

/** `/custom-fields`: the typed fields an organization adds to its contacts. */
export function customFieldRoutes(fields: CustomFieldService) {
  const app = router();
  app.use("/", requirePermission("customFields.read"));
  app.use("/*", requirePermission("customFields.read"));
  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "The organization's custom fields",
        request: { query: z.object({ entity: z.enum(fieldEntities).optional() }).strict() },
        responses: {
          200: jsonResponse(z.object({ data: z.array(CustomFieldSchema) }), "Every field"),
          ...common,
        },
      }),
      async (c) => {
        const { entity } = c.req.valid("query");
        return c.json({ data: await fields.list(c.get("orgId"), entity) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Add a custom field",
        description: "Types: text, number, date (YYYY-MM-DD), list (one of its options), " +
          "boolean. The key names the value on records and in filters.",
        middleware: [requirePermission("customFields.manage")] as const,
        request: { body: jsonBody(NewFieldBody) },
        responses: {
          201: jsonResponse(CustomFieldSchema, "The new field"),
          ...common,
          409: errors[409],
        },
      }),
      async (c) => {
        const body = c.req.valid("json");
        return c.json(
          await fields.create(c.get("orgId"), { ...body, options: body.options ?? [] }),
          201,
        );
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Rename a field or change a list's options (its key and type stay)",
        middleware: [requirePermission("customFields.manage")] as const,
        request: { params: Id, body: jsonBody(FieldPatchBody) },
        responses: { 200: jsonResponse(CustomFieldSchema, "The field"), ...common },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const patch = {
          ...(body.label !== undefined ? { label: body.label } : {}),
          ...(body.options !== undefined ? { options: body.options } : {}),
        };
        return c.json(await fields.update(c.get("orgId"), c.req.valid("param").id, patch), 200);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Remove a field and its values",
        middleware: [requirePermission("customFields.manage")] as const,
        request: { params: Id },
        responses: { 204: { description: "Removed" }, ...common },
      }),
      async (c) => {
        await fields.remove(c.get("orgId"), c.req.valid("param").id);
        return c.body(null, 204);
      },
    );
}
