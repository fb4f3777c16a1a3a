import { createRoute, z } from "@hono/zod-openapi";
import { bearer, errors, jsonResponse, pageOf, PageQuery, router } from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import type { NotificationService } from "./service.ts";

const NotificationSchema = z.object({
  id: z.string(),
  type: z.string(),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.string()),
  read: z.boolean(),
  readAt: z.string().nullable(),
  createdAt: z.string(),
}).openapi("Notification");

const tags = ["Notifications"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403] };

/** `/notifications`: the caller's own, unread first. */
export function notificationRoutes(notifications: NotificationService) {
  const app = router();
  app.use("*", requirePermission("notifications.self"));
  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "My notifications, unread first, newest first; ?type=mention for mentions",
        request: {
          query: PageQuery.extend({
            type: z.string().min(1).max(50).optional().openapi({
              description: "Only this type: mention, query-assigned, sla-warning, sla-breach",
            }),
          }).strict(),
        },
        responses: {
          200: jsonResponse(
            pageOf(NotificationSchema).extend({
              meta: z.object({
                total: z.number().int(),
                page: z.number().int(),
                limit: z.number().int(),
                unread: z.number().int(),
              }),
            }),
            "A page of notifications",
          ),
          ...common,
        },
      }),
      async (c) => {
        const { type, ...page } = c.req.valid("query");
        const [result, unread] = await Promise.all([
          notifications.list(c.get("orgId"), c.get("auth").userId, page, type ? { type } : {}),
          notifications.unreadCount(c.get("orgId"), c.get("auth").userId),
        ]);
        return c.json({
          data: result.data.map(({ organizationId: _o, userId: _u, ...n }) => n),
          meta: { total: result.total, ...page, unread },
        }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/read-all",
        tags,
        security: bearer,
        summary: "Mark all mine read",
        responses: {
          200: jsonResponse(z.object({ updated: z.number().int() }), "How many changed"),
          ...common,
        },
      }),
      async (c) =>
        c.json(
          { updated: await notifications.markAllRead(c.get("orgId"), c.get("auth").userId) },
          200,
        ),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/{id}/read",
        tags,
        security: bearer,
        summary: "Mark one read",
        request: { params: z.object({ id: z.string().min(1).max(64) }) },
        responses: {
          200: jsonResponse(NotificationSchema, "The notification"),
          ...common,
          404: errors[404],
        },
      }),
      async (c) => {
        const { organizationId: _o, userId: _u, ...n } = await notifications.markRead(
          c.get("orgId"),
          c.get("auth").userId,
          c.req.valid("param").id,
        );
        return c.json(n, 200);
      },
    );
}
