import { z } from "@hono/zod-openapi";

/** What a client sends to post a message: the same over REST and the socket's `send-message`. */
export const messageFields = {
  message: z.string().min(1).max(20_000),
  type: z.enum(["text", "file"]).default("text"),
  fileId: z.string().min(1).max(64).optional(),
  clientMessageId: z.string().min(1).max(100).optional(),
};

/** A read position: the same over REST (`PUT …/read`) and the socket's `mark-read`. */
export const readFields = { seq: z.number().int().min(0) };

/** A message as clients see it, over REST and the socket alike. */
export const MessageSchema = z.object({
  id: z.string(),
  roomId: z.string(),
  seq: z.number().int(),
  senderId: z.string(),
  senderRole: z.string(),
  type: z.enum(["text", "file", "system"]),
  text: z.string(),
  fileId: z.string().nullable(),
  clientMessageId: z.string(),
  email: z.object({
    status: z.enum(["queued", "sent", "failed", "received"]),
    messageId: z.string().nullable(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    updatedAt: z.string(),
  }).nullable(),
  createdAt: z.string(),
}).openapi("Message");
