import { z } from "@hono/zod-openapi";
import { textBlock } from "@/modules/text.ts";
import { webhookEventTypes } from "./model.ts";

const Iso = z.string().openapi({ format: "date-time" });

const Url = z.string().trim().max(2000).refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === "https:" || u.protocol === "http:") && !u.username && !u.password;
  } catch {
    return false;
  }
}, "expected an http(s) URL without credentials");

const Events = z.array(z.enum(webhookEventTypes)).min(1).max(webhookEventTypes.length)
  .openapi({ description: 'Domain events to receive, or ["*"] for every one' });

export const WebhookBody = z.object({
  url: Url,
  events: Events.default(["*"]),
  description: textBlock(500, 0).default(""),
  active: z.boolean().default(true),
}).strict().openapi("WebhookInput");

export const WebhookPatchBody = z.object({
  url: Url.optional(),
  events: Events.optional(),
  description: textBlock(500, 0).optional(),
  active: z.boolean().optional(),
}).strict().openapi("WebhookPatch", {
  description: "Fields to change; `active: true` turns a disabled endpoint back on",
});

export const WebhookSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  url: z.string(),
  events: z.array(z.enum(webhookEventTypes)),
  description: z.string(),
  active: z.boolean(),
  previousSecretUntil: Iso.nullable().openapi({
    description: "Until then the secret before the last rotation signs too",
  }),
  disabledReason: z.enum(["gone", "failing"]).nullable().openapi({
    description: "gone: the receiver answered 410; failing: every attempt failed too long",
  }),
  disabledAt: Iso.nullable(),
  failingSince: Iso.nullable(),
  createdAt: Iso,
  updatedAt: Iso,
}).openapi("Webhook");

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description: "The signing secret (whsec_…): shown in this answer only",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("WebhookWithSecret");

export const DeliverySchema = z.object({
  id: z.string().openapi({ description: "The webhook-id header of every attempt" }),
  organizationId: z.string(),
  endpointId: z.string(),
  eventId: z.string().nullable(),
  type: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  nextAttemptAt: Iso.nullable(),
  lastAttemptAt: Iso.nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastLatencyMs: z.number().int().nullable(),
  deliveredAt: Iso.nullable(),
  createdAt: Iso,
  updatedAt: Iso,
}).openapi("WebhookDelivery");

export const IdParam = z.object({ id: z.string().min(1).max(64) });
export const DeliveryParams = IdParam.extend({ deliveryId: z.string().min(1).max(64) });
