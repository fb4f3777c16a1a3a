import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "@/errors.ts";
import { bearer, errors, jsonResponse, pageOf, PageQuery, router } from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import { type AttachmentService, imageTypes } from "@/modules/chat/attachments.ts";
import type { CallService } from "./calls.ts";
import type { PresenceService } from "./presence.ts";

const CallSchema = z.object({
  id: z.string(),
  callerId: z.string(),
  calleeId: z.string(),
  callType: z.enum(["audio", "video"]),
  status: z.enum(["ringing", "active", "ended"]),
  outcome: z.string().nullable(),
  startedAt: z.string(),
  answeredAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationSeconds: z.number().int().nullable(),
  snapshots: z.array(z.string()),
}).openapi("Call");

const tags = ["Calls"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** `/calls`: call records, and snapshots taken during a call. Signalling runs on the socket. */
export function callRoutes(calls: CallService, attachments: AttachmentService) {
  const app = router();
  app.use("*", requirePermission("chat.read"));
  const caller = (c: { var: { auth: { userId: string; role: never }; orgId: string } }) => ({
    userId: c.var.auth.userId,
    orgId: c.var.orgId,
    role: c.var.auth.role,
  });
  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "Call records: mine, or the organization's for TL, QA and Admin",
        request: { query: PageQuery.strict() },
        responses: { 200: jsonResponse(pageOf(CallSchema), "Newest first"), ...common },
      }),
      async (c) => {
        const page = c.req.valid("query");
        const result = await calls.list(caller(c as never), page);
        return c.json({
          data: result.data.map(({ organizationId: _o, ...r }) => r),
          meta: { total: result.total, ...page },
        }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{callId}/snapshots",
        tags,
        security: bearer,
        summary: 'Attach a snapshot or screenshot (an image, multipart field "file") to a call',
        request: {
          params: z.object({ callId: z.string().min(1).max(64) }),
          body: {
            required: true,
            content: {
              "multipart/form-data": {
                schema: z.object({ file: z.any().openapi({ type: "string", format: "binary" }) }),
              },
            },
          },
        },
        responses: {
          201: jsonResponse(CallSchema, "The call with the snapshot"),
          ...common,
          413: errors[413],
        },
      }),
      async (c) => {
        const who = caller(c as never);
        const call = await calls.get(who, c.req.valid("param").callId);
        if (call.callerId !== who.userId && call.calleeId !== who.userId) {
          throw new AppError("FORBIDDEN", "Only the parties to a call add snapshots");
        }
        const saved = await attachments.save(
          who.orgId,
          { scope: "call", id: call.id },
          c.req.valid("form").file,
          who.userId,
          imageTypes,
        );
        const { organizationId: _o, ...updated } = await calls.addSnapshot(who, call.id, saved.id);
        return c.json(updated, 201);
      },
    );
}

const PresenceSchema = z.object({
  userId: z.string(),
  status: z.enum(["online", "away", "offline"]),
  lastSeen: z.string(),
}).openapi("Presence");

/** `/presence/{userId}`: someone's presence as every instance sees it. */
export function presenceRoutes(
  presence: PresenceService,
  sameOrg: (orgId: string, userId: string) => Promise<boolean>,
) {
  const app = router();
  app.use("*", requirePermission("chat.read"));
  return app.openapi(
    createRoute({
      method: "get",
      path: "/{userId}",
      tags,
      security: bearer,
      summary: "Online, away or offline, with last seen",
      request: { params: z.object({ userId: z.string().min(1).max(64) }) },
      responses: { 200: jsonResponse(PresenceSchema, "Presence"), ...common },
    }),
    async (c) => {
      const { userId } = c.req.valid("param");
      if (!await sameOrg(c.var.orgId, userId)) {
        throw new AppError("NOT_FOUND", `User "${userId}" not found`);
      }
      return c.json(await presence.get(userId), 200);
    },
  );
}
