import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "@/errors.ts";
import { bearer, errors, jsonBody, jsonResponse, router, withoutOrg } from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import { actorOf } from "@/http/env.ts";
import { byteRange, fileHeaders } from "@/modules/uploads.ts";
import { fileUploadBody, uploadedFile } from "@/http/multipart.ts";
import { type AttachmentService, roomFileTypes } from "./attachments.ts";
import { type ChatService, readSeqFor } from "./service.ts";
import { messageFields, MessageSchema, readFields } from "./schemas.ts";
import { viewFor } from "./repository.ts";
import { textLine } from "@/modules/text.ts";

const RoomSchema = z.object({
  id: z.string(),
  kind: z.enum(["query", "direct"]),
  queryId: z.string().nullable(),
  customerId: z.string().nullable(),
  members: z.array(z.string()),
  title: z.string(),
  createdAt: z.string(),
}).openapi("Room");

const AttachmentSchema = z.object({
  id: z.string(),
  name: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  createdAt: z.string(),
}).openapi("Attachment");

const RoomParam = z.object({ roomId: z.string().min(1).max(64) });
const tags = ["Chat"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

/** `/chat`: rooms, messages by sequence, read positions and files, for clients without a socket. */
export function chatRoutes(chat: ChatService, attachments: AttachmentService) {
  const app = router();
  app.use("*", requirePermission("chat.read"));
  // A key writes (messages, files) only with chat:write; staff's writes are the service's call.
  const keyWrites = requirePermission("chat.write");
  app.use(
    "*",
    (c, next) => c.req.method === "POST" && c.get("auth").integration ? keyWrites(c, next) : next(),
  );
  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/rooms",
        tags,
        security: bearer,
        summary: "My rooms, with their last message and my unread count",
        responses: {
          200: jsonResponse(
            z.object({
              data: z.array(
                RoomSchema.extend({
                  lastMessage: MessageSchema.nullable(),
                  unread: z.number().int(),
                }),
              ),
            }),
            "Rooms",
          ),
          ...common,
        },
      }),
      async (c) => {
        const actor = actorOf(c);
        const rooms = await chat.rooms(actor);
        const view = viewFor(actor.role);
        return c.json({
          data: rooms.map((r) => ({
            ...withoutOrg(r),
            lastMessage: r.lastMessage ? view(r.lastMessage) : null,
          })),
        }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/rooms",
        tags,
        security: bearer,
        summary: "A query's room, or a direct room between staff",
        request: {
          body: jsonBody(
            z.union([
              z.object({ queryId: z.string().min(1).max(64) }).strict(),
              z.object({
                members: z.array(z.string().min(1).max(64)).min(1).max(50),
                title: textLine(200).optional(),
              }).strict(),
            ]),
          ),
        },
        responses: { 201: jsonResponse(RoomSchema, "The room"), ...common },
      }),
      async (c) => {
        const body = c.req.valid("json");
        if ("queryId" in body) {
          return c.json(withoutOrg(await chat.roomForQuery(actorOf(c), body.queryId)), 201);
        }
        return c.json(withoutOrg(await chat.directRoom(actorOf(c), body.members, body.title)), 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/rooms/{roomId}/messages",
        tags,
        security: bearer,
        summary: "Messages by sequence: after a seq (oldest first) or the latest before one",
        request: {
          params: RoomParam,
          query: z.object({
            afterSeq: z.coerce.number().int().min(0).optional(),
            beforeSeq: z.coerce.number().int().min(1).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }).strict(),
        },
        responses: {
          200: jsonResponse(z.object({ data: z.array(MessageSchema) }), "Messages"),
          ...common,
        },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const actor = actorOf(c);
        const messages = await chat.messages(actor, c.req.valid("param").roomId, {
          limit: q.limit,
          ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}),
          ...(q.beforeSeq !== undefined ? { beforeSeq: q.beforeSeq } : {}),
        });
        return c.json({ data: messages.map(viewFor(actor.role)) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/rooms/{roomId}/messages",
        tags,
        security: bearer,
        summary:
          "Send a message (as the socket's send-message); a repeated clientMessageId is answered once",
        request: {
          params: RoomParam,
          body: jsonBody(z.object(messageFields).strict()),
        },
        responses: {
          201: jsonResponse(MessageSchema, "Stored and sent"),
          200: jsonResponse(MessageSchema, "Already stored under this clientMessageId"),
          ...common,
          422: errors[422],
        },
      }),
      async (c) => {
        const b = c.req.valid("json");
        const actor = actorOf(c);
        const { message, duplicate } = await chat.send(actor, c.req.valid("param").roomId, {
          text: b.message,
          type: b.type,
          ...(b.fileId ? { fileId: b.fileId } : {}),
          ...(b.clientMessageId ? { clientMessageId: b.clientMessageId } : {}),
          ...(b.mentions ? { mentions: b.mentions } : {}),
        });
        return c.json(viewFor(actor.role)(message), duplicate ? 200 : 201);
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/rooms/{roomId}/read",
        tags,
        security: bearer,
        summary:
          "Mark messages up to a seq read (a seq past the room's last message counts as the last)",
        request: {
          params: RoomParam,
          body: jsonBody(z.object(readFields).strict()),
        },
        responses: {
          200: jsonResponse(
            z.object({ roomId: z.string(), seq: z.number().int() }),
            "My read position",
          ),
          ...common,
        },
      }),
      async (c) => {
        const actor = actorOf(c);
        const read = await chat.markRead(
          actor,
          c.req.valid("param").roomId,
          c.req.valid("json").seq,
        );
        return c.json({ roomId: read.roomId, seq: readSeqFor(actor.role, read) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/rooms/{roomId}/files",
        tags,
        security: bearer,
        summary: 'Upload a file to a room (multipart field "file"); send it with type file',
        request: {
          params: RoomParam,
          body: fileUploadBody("file"),
        },
        responses: {
          201: jsonResponse(AttachmentSchema, "The stored file"),
          ...common,
          413: errors[413],
          415: { description: "Type not accepted" },
        },
      }),
      async (c) => {
        const room = await chat.writable(actorOf(c), c.req.valid("param").roomId);
        const saved = await uploadedFile(
          c.req.raw,
          "file",
          (file) =>
            attachments.save(
              c.get("orgId"),
              { scope: "room", id: room.id },
              file,
              c.get("auth").userId,
              roomFileTypes,
            ),
        );
        const { organizationId: _o, scope: _s, scopeId: _i, uploadedBy: _u, ...out } = saved;
        return c.json(out, 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/files/{fileId}",
        tags,
        security: bearer,
        summary: "Download a file of a room I may read",
        description: "Streamed; `Range: bytes=start-end` (one range) answers 206 with that part, " +
          "so media players can seek.",
        request: {
          params: z.object({ fileId: z.string().min(1).max(64) }),
          headers: z.object({ range: z.string().max(200).optional() }),
        },
        responses: {
          200: {
            description: "The file's bytes, with the type it was stored with",
            content: { "*/*": { schema: z.string().openapi({ format: "binary" }) } },
          },
          206: {
            description: "The range asked for (Content-Range says which)",
            content: { "*/*": { schema: z.string().openapi({ format: "binary" }) } },
          },
          ...common,
          416: errors[416],
        },
      }),
      async (c) => {
        const file = await attachments.get(c.get("orgId"), c.req.valid("param").fileId);
        if (file.scope !== "room") throw new AppError("NOT_FOUND", `File "${file.id}" not found`);
        await chat.readable(actorOf(c), file.scopeId);
        const headers = { ...fileHeaders(file.contentType, file.name), "accept-ranges": "bytes" };
        const range = byteRange(c.req.valid("header").range, file.size);
        if (range === null) {
          throw new AppError("RANGE_NOT_SATISFIABLE", "The range is outside the file", {
            headers: { "Content-Range": `bytes */${file.size}` },
          });
        }
        const opened = await attachments.open(file, range);
        if (!range) {
          return c.body(opened.stream, 200, {
            ...headers,
            "content-length": String(opened.size),
          });
        }
        return c.body(opened.stream, 206, {
          ...headers,
          "content-range": `bytes ${range.start}-${range.end}/${opened.size}`,
          "content-length": String(range.end - range.start + 1),
        });
      },
    );
}
