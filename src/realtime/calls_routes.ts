import { createRoute, z } from "@hono/zod-openapi";
import {
  bearer,
  errors,
  jsonResponse,
  pageOf,
  PageQuery,
  router,
  withoutOrg,
} from "@/http/openapi.ts";
import { actorOf } from "@/http/env.ts";
import { fileUploadBody, uploadedFile } from "@/http/multipart.ts";
import { requirePermission } from "@/http/rbac.ts";
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
export function callRoutes(calls: CallService) {
  const app = router();
  app.use("*", requirePermission("chat.read"));
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
        const result = await calls.list(actorOf(c), page);
        return c.json({
          data: result.data.map(withoutOrg),
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
          body: fileUploadBody("file"),
        },
        responses: {
          201: jsonResponse(CallSchema, "The call with the snapshot"),
          ...common,
          413: errors[413],
        },
      }),
      async (c) => {
        const call = await uploadedFile(
          c.req.raw,
          "file",
          (file) => calls.addSnapshot(actorOf(c), c.req.valid("param").callId, file),
        );
        return c.json(withoutOrg(call), 201);
      },
    );
}

const PresenceSchema = z.object({
  userId: z.string(),
  status: z.enum(["online", "away", "offline"]),
  lastSeen: z.string(),
}).openapi("Presence");

/** `/presence/{userId}`: someone's presence as every instance sees it. */
export function presenceRoutes(presence: PresenceService) {
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
      return c.json(await presence.get(actorOf(c), userId), 200);
    },
  );
}
