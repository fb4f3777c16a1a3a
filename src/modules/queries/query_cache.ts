import type { Deps } from "@/deps.ts";
import type { Query } from "./model.ts";

const changedChannel = "queries:changed";
/** Trusted without news from the bus for one to two ticks (5 to 10 s), as users' states are. */
const tickMs = 5_000;
const cacheLimit = 10_000;

/**
 * Queries as the chat's hot paths read them: the access check of every frame in a query's room
 * (who the customer and the assignee are) and whether a customer's message answers a question
 * (`waitingOn`). Each of those read the query from the store, and on a SQLite file that another
 * instance writes to, every such read starts from an emptied page cache.
 *
 * An answer may lag a change made on another instance by the bus's delay, and by 10 s at most
 * while the bus is down; a change made here is seen at once. So it serves decisions that may lag
 * that long (as a session's end may), never the fields a write is computed from.
 */
export interface QueryCache {
  /** The query while it is fresh here, else read from the store (and kept); null if none. */
  get(orgId: string, id: string): Promise<Query | null>;
  /** Forgets the query (every query of the organization without `id`) here and on every instance. */
  changed(orgId: string, id?: string): Promise<void>;
  /** Subscribes to the changes other instances publish and starts the ticks. */
  start(): Promise<void>;
  stop(): void;
}

export function createQueryCache(deps: Pick<Deps, "store" | "bus" | "log">): QueryCache {
  const known = new Map<string, { query: Query | null; orgId: string; readAt: number }>();
  /** Reads under way, so a change that comes meanwhile keeps their (maybe stale) answer out. */
  const reading = new Map<string, { orgId: string; promise: Promise<Query | null> }>();
  let tick = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;

  function forget(orgId: string, id?: string) {
    if (id !== undefined) {
      known.delete(id);
      reading.delete(id);
      return;
    }
    for (const [key, entry] of known) if (entry.orgId === orgId) known.delete(key);
    reading.clear();
  }

  return {
    get(orgId, id) {
      const entry = known.get(id);
      if (entry && entry.orgId === orgId && tick - entry.readAt <= 1) {
        return Promise.resolve(entry.query);
      }
      const pending = reading.get(id);
      if (pending?.orgId === orgId) return pending.promise;
      // Another organization's id: read, never kept.
      if (pending) return deps.store.queries.findById(orgId, id);
      const p = deps.store.queries.findById(orgId, id).then((query) => {
        if (reading.get(id)?.promise === p) {
          reading.delete(id);
          known.delete(id);
          if (known.size >= cacheLimit) known.delete(known.keys().next().value!);
          known.set(id, { query, orgId, readAt: tick });
        }
        return query;
      }, (err) => {
        if (reading.get(id)?.promise === p) reading.delete(id);
        throw err;
      });
      reading.set(id, { orgId, promise: p });
      return p;
    },
    async changed(orgId, id) {
      forget(orgId, id);
      // Stored already: without the bus, other instances see it within two ticks.
      await deps.bus.publish(changedChannel, { orgId, ...(id ? { id } : {}) }).catch((err) =>
        deps.log.warn("query change not published", { queryId: id, error: String(err) })
      );
    },
    async start() {
      ticker ??= setInterval(() => tick++, tickMs);
      Deno.unrefTimer(ticker);
      await deps.bus.subscribe(changedChannel, (payload) => {
        const p = payload as { orgId?: unknown; id?: unknown } | null;
        if (typeof p?.orgId !== "string") return;
        forget(p.orgId, typeof p.id === "string" ? p.id : undefined);
      });
    },
    stop() {
      clearInterval(ticker);
      ticker = undefined;
    },
  };
}
