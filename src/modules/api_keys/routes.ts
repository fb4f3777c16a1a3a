import { createRoute, z } from "@hono/zod-openapi";
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
import { textLine } from "@/modules/text.ts";
import { apiKeyScopes } from "./model.ts";
import type { ApiKeyService } from "./service.ts";

const Iso = z.string().openapi({ format: "date-time" });

const ApiKeyBody = z.object({
  name: textLine(100),
  scopes: z.array(z.enum(apiKeyScopes)).min(1).max(apiKeyScopes.length),
  expiresAt: z.iso.datetime({ offset: true }).nullable().default(null),
}).strict().openapi("ApiKeyInput");

const ApiKeySchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(apiKeyScopes)),
  lastChars: z.string().openapi({ description: "The key's last four characters" }),
  expiresAt: Iso.nullable(),
  lastUsedAt: Iso.nullable(),
  lastUsedIp: z.string().nullable(),
  createdBy: z.string(),
  createdAt: Iso,
}).openapi("ApiKey");

const ApiKeyWithSecret = ApiKeySchema.extend({
  key: z.string().openapi({
    description: "The key, shown in this answer only: send it as `Authorization: Bearer <key>`",
  }),
}).openapi("ApiKeyWithSecret");

const tags = ["API keys"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** `/api-keys`: credentials for the organization's integrations and bots (Admin). */
export function apiKeyRoutes(apiKeys: ApiKeyService) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "List API keys (never their secrets)",
        middleware: [requirePermission("apiKeys.manage")] as const,
        request: { query: PageQuery },
        responses: { 200: jsonResponse(pageOf(ApiKeySchema), "API keys"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await apiKeys.list(c.get("orgId"), page);
        return c.json({ data: result.data, meta: { total: result.total, ...page } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Make an API key; the key is in this answer only",
        middleware: [requirePermission("apiKeys.manage")] as const,
        request: { body: jsonBody(ApiKeyBody) },
        responses: { 201: jsonResponse(ApiKeyWithSecret, "The new key"), ...common },
      }),
      async (c) => {
        const made = await apiKeys.create(
          c.get("orgId"),
          c.get("auth"),
          c.req.valid("json"),
        );
        return c.json(made, 201);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Revoke an API key (at once, on every instance)",
        middleware: [requirePermission("apiKeys.manage")] as const,
        request: { params: z.object({ id: z.string().min(1).max(64) }) },
        responses: { 204: { description: "Revoked" }, ...common },
      }),
      async (c) => {
        await apiKeys.remove(c.get("orgId"), c.get("auth"), c.req.valid("param").id);
        return c.body(null, 204);
      },
    );
}
