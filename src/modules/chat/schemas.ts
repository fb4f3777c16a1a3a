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
