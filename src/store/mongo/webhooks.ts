import type { Db } from "./db.ts";

/** The webhook outbox is read by due time and listed per endpoint. */
export async function ensureWebhookIndexes(db: Db): Promise<void> {
  const deliveries = db.collection("webhook_deliveries");
  await deliveries.createIndex({ organizationId: 1, status: 1, nextAttemptAt: 1 });
  await deliveries.createIndex({ organizationId: 1, endpointId: 1, createdAt: -1 });
}
