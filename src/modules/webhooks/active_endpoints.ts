import type { Deps } from "@/deps.ts";
import type { WebhookEndpoint } from "./model.ts";

const changedChannel = "webhooks:changed";
/** How long a read stands when a change's bus message is lost (a Redis blip). */
const freshMs = 5_000;
const orgLimit = 10_000;

/**
 * The active endpoints of each organization, which every domain event asks for: read from the
 * store once, then kept until any instance changes them (the bus says so at once) or for 5 s.
 */
export interface ActiveEndpoints {
  /** The organization's active endpoints, oldest first (at most 100). */
  of(orgId: string): Promise<WebhookEndpoint[]>;
  /** Forgets the organization's endpoints here and on every instance. */
  changed(orgId: string): Promise<void>;
  /** Listens for the changes other instances make. */
  start(): Promise<void>;
}

export function activeEndpoints(
  deps: Pick<Deps, "bus" | "log">,
  load: (orgId: string) => Promise<WebhookEndpoint[]>,
): ActiveEndpoints {
  const kept = new Map<string, { at: number; endpoints: Promise<WebhookEndpoint[]> }>();

  function forget(orgId: string) {
    kept.delete(orgId);
  }

  return {
    of(orgId) {
      const hit = kept.get(orgId);
      if (hit && Date.now() - hit.at < freshMs) return hit.endpoints;
      const entry = { at: Date.now(), endpoints: load(orgId) };
      if (kept.size >= orgLimit) kept.delete(kept.keys().next().value!);
      kept.set(orgId, entry);
      // A failed read is not kept; a read a change overtook is no longer the entry.
      entry.endpoints.catch(() => kept.get(orgId) === entry && kept.delete(orgId));
      return entry.endpoints;
    },
    async changed(orgId) {
      forget(orgId);
      await deps.bus.publish(changedChannel, { orgId }).catch((err) =>
        deps.log.warn("webhook change not announced", { orgId, error: String(err) })
      );
    },
    async start() {
      await deps.bus.subscribe(changedChannel, (p) => {
        const orgId = (p as { orgId?: unknown }).orgId;
        if (typeof orgId === "string") forget(orgId);
      });
    },
  };
}
