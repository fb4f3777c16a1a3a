import { z } from "@hono/zod-openapi";

/** What a client sends to post a message: the same over REST and the socket's `send-message`. */
export const messageFields = {
  message: z.string().min(1).max(20_000),
  /** A note is for staff only: never shown to the customer, never mailed. */
  type: z.enum(["text", "file", "note"]).default("text"),
  fileId: z.string().min(1).max(64).optional(),
  clientMessageId: z.string().min(1).max(100).optional(),
  /** Staff a note names, by id (and `@name` in the text); only with type note. */
  mentions: z.array(z.string().min(1).max(64)).max(50).optional(),
};

/** A read position: the same over REST (`PUT …/read`) and the socket's `mark-read`. */
export const readFields = { seq: z.number().int().min(0) };

/** A message as clients see it, over REST and the socket alike. */
export const MessageSchema = z.object({
  id: z.string(),
  roomId: z.string(),
  seq: z.number().int(),
  senderId: z.string(),
  senderRole: z.string().openapi({ description: "A role, system, or bot (an API key)" }),
  senderName: z.string().optional().openapi({ description: "A bot's name (bots only)" }),
  type: z.enum(["text", "file", "system", "note"]),
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
  mentions: z.array(z.string()).optional().openapi({
    description: "The staff a note mentions (notes only)",
  }),
  createdAt: z.string(),
}).openapi("Message", {
  description: "A customer sees no notes, and its seq counts only what it sees, with no gaps",
});
