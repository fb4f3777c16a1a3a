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
import type { WebhookService } from "./service.ts";
import {
  DeliveryParams,
  DeliverySchema,
  IdParam,
  WebhookBody,
  WebhookPatchBody,
  WebhookSchema,
  WebhookWithSecretSchema,
} from "./schemas.ts";

const tags = ["Webhooks"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** `/webhooks`: the organization's signed outgoing webhooks (Admin). */
export function webhookRoutes(webhooks: WebhookService) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "List webhook endpoints",
        middleware: [requirePermission("webhooks.manage")] as const,
        request: { query: PageQuery },
        responses: { 200: jsonResponse(pageOf(WebhookSchema), "Endpoints"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await webhooks.list(c.get("orgId"), page);
        return c.json({ data: result.data, meta: { total: result.total, ...page } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        security: bearer,
        summary: "Add an endpoint; its signing secret is in this answer only",
        middleware: [requirePermission("webhooks.manage")] as const,
        request: { body: jsonBody(WebhookBody) },
        responses: { 201: jsonResponse(WebhookWithSecretSchema, "The new endpoint"), ...common },
      }),
      async (c) =>
        c.json(await webhooks.create(c.get("orgId"), c.get("auth"), c.req.valid("json")), 201),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "One endpoint",
        middleware: [requirePermission("webhooks.manage")] as const,
        request: { params: IdParam },
        responses: { 200: jsonResponse(WebhookSchema, "The endpoint"), ...common },
      }),
      async (c) => c.json(await webhooks.get(c.get("orgId"), c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Change an endpoint",
        middleware: [requirePermission("webhooks.manage")] as const,
        request: { params: IdParam, body: jsonBody(WebhookPatchBody) },
        responses: { 200: jsonResponse(WebhookSchema, "The endpoint"), ...common },
      }),
      async (c) => {
        const patch = defined(c.req.valid("json"));
        const id = c.req.valid("param").id;
        return c.json(await webhooks.update(c.get("orgId"), c.get("auth"), id, patch), 200);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/{id}",
        tags,
        security: bearer,
        summary: "Remove an endpoint (its pending deliveries are dropped)",
        middleware: [requirePermission("webhooks.manage")] as const,
        request: { params: IdParam },
        responses: { 204: { description: "Removed" }, ...common },
      }),
      async (c) => {
        await webhooks.remove(c.get("orgId"), c.get("auth"), c.req.valid("param").id);
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/rotate-secret",
        tags,
        security: bearer,
        summary: "New signing secret; the old one signs too for WEBHOOK_SECRET_GRACE",
        middleware: [requirePermission("webhooks.manage")] as const,
        request: { params: IdParam },
        responses: {
          200: jsonResponse(WebhookWithSecretSchema, "The endpoint and its new secret"),
          ...common,
          409: errors[409],
        },
      }),
      async (c) =>
        c.json(
          await webhooks.rotateSecret(c.get("orgId"), c.get("auth"), c.req.valid("param").id),
          200,
        ),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/deliveries",
        tags,
        security: bearer,
        summary: "The endpoint's deliveries, newest first",
        middleware: [requirePermission("webhooks.manage")] as const,
        request: { params: IdParam, query: PageQuery },
        responses: { 200: jsonResponse(pageOf(DeliverySchema), "Deliveries"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await webhooks.deliveries(c.get("orgId"), c.req.valid("param").id, page);
        return c.json({ data: result.data, meta: { total: result.total, ...page } }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/deliveries/{deliveryId}/retry",
        tags,
        security: bearer,
        summary: "Attempt a delivery again now, with the same webhook-id",
        middleware: [requirePermission("webhooks.manage")] as const,
        request: { params: DeliveryParams },
        responses: {
          200: jsonResponse(DeliverySchema, "The delivery after the attempt"),
          ...common,
          409: errors[409],
        },
      }),
      async (c) => {
        const { id, deliveryId } = c.req.valid("param");
        return c.json(await webhooks.retry(c.get("orgId"), id, deliveryId), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/test",
        tags,
        security: bearer,
        summary: "Send a signed ping event to the endpoint now",
        middleware: [requirePermission("webhooks.manage")] as const,
        request: { params: IdParam },
        responses: {
          200: jsonResponse(DeliverySchema, "The ping delivery after its attempt"),
          ...common,
          409: errors[409],
        },
      }),
      async (c) => c.json(await webhooks.test(c.get("orgId"), c.req.valid("param").id), 200),
    );
}
