import type { DeliveryRun, WebhookService } from "@/modules/webhooks/service.ts";

/**
 * Attempts every due webhook delivery, then deletes finished ones past their retention. Safe on
 * several instances at once: each delivery is claimed with a lease first, and a lease left by an
 * instance that died runs out, so another takes the delivery over (with the same webhook-id).
 */
export async function deliverWebhooks(
  webhooks: Pick<WebhookService, "deliverDue" | "prune">,
): Promise<DeliveryRun & { pruned: number }> {
  const run = await webhooks.deliverDue();
  return { ...run, pruned: await webhooks.prune() };
}
