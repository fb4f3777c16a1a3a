import type { Documents } from "@/store/documents.ts";
import type { Store } from "@/store/store.ts";
import type { WebhookDelivery, WebhookEndpoint } from "./model.ts";

/** Storage of webhook endpoints and their delivery outbox. */
export interface WebhookRepository {
  endpoints: Documents<WebhookEndpoint>;
  deliveries: Documents<WebhookDelivery>;
  /** Pending deliveries of the organization whose next attempt is due at `now`, oldest first. */
  due(orgId: string, now: string, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Takes a due delivery for `owner` until `until` (its next attempt moves there, so a holder
   * that dies leaves it due again then); null when another instance took it first.
   */
  claim(
    delivery: WebhookDelivery,
    owner: string,
    until: string,
  ): Promise<WebhookDelivery | null>;
  /** Writes an attempt's outcome, if `owner` still holds the delivery; null otherwise. */
  settle(
    delivery: WebhookDelivery,
    owner: string,
    patch: Partial<WebhookDelivery>,
  ): Promise<WebhookDelivery | null>;
}

/** The webhook repository over the store's document collections (both adapters). */
export function webhookRepository(store: Store): WebhookRepository {
  const deliveries = store.documents("webhook_deliveries");
  return {
    endpoints: store.documents("webhooks"),
    deliveries,
    async due(orgId, now, limit) {
      const pending = await deliveries.find(orgId, {
        where: { status: "pending" },
        sort: [["nextAttemptAt", "asc"]],
        page: { page: 1, limit },
      });
      return pending.data.filter((d) => d.nextAttemptAt !== null && d.nextAttemptAt <= now);
    },
    claim(delivery, owner, until) {
      return deliveries.update(
        delivery.organizationId,
        delivery.id,
        { leaseOwner: owner, leaseUntil: until, nextAttemptAt: until },
        {
          status: "pending",
          nextAttemptAt: delivery.nextAttemptAt,
          leaseOwner: delivery.leaseOwner,
        },
      );
    },
    settle(delivery, owner, patch) {
      return deliveries.update(
        delivery.organizationId,
        delivery.id,
        { leaseOwner: null, leaseUntil: null, ...patch },
        { leaseOwner: owner, status: "pending" },
      );
    },
  };
}
