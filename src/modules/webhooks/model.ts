import { eventNames } from "@/events.ts";

/** What an endpoint may subscribe to: a domain event's name, or "*" for every one. */
export const webhookEventTypes = ["*", ...eventNames] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** Why an endpoint stopped receiving deliveries. */
export type DisabledReason = "gone" | "failing";

/** A receiver of an organization's events, as stored (secrets sealed). */
export interface WebhookEndpoint {
  id: string;
  organizationId: string;
  url: string;
  events: WebhookEventType[];
  description: string;
  active: boolean;
  /** The signing secret (`whsec_…`), sealed with the organization's key (see secrets.ts). */
  secret: string;
  /** The secret before the last rotation, sealed; it signs too until `previousSecretUntil`. */
  previousSecret: string | null;
  previousSecretUntil: string | null;
  disabledReason: DisabledReason | null;
  disabledAt: string | null;
  /** Since when every attempt has failed (null once one succeeds). */
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryStatus = "pending" | "delivered" | "failed";

/**
 * One event for one endpoint: the outbox row, written before any attempt. Its id is the
 * `webhook-id` of every attempt, so receivers can drop repeats.
 */
export interface WebhookDelivery {
  id: string;
  organizationId: string;
  endpointId: string;
  /** The domain event's id, or null for a test ping. */
  eventId: string | null;
  type: string;
  /** The exact body of every attempt: `{type, timestamp, data}`. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  /** Due for its next attempt from then (while pending); a claim moves it to the lease's end. */
  nextAttemptAt: string | null;
  leaseOwner: string | null;
  leaseUntil: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  /** The last failure in words (a category, never the receiver's text). */
  lastError: string | null;
  lastLatencyMs: number | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
}
