import { Redis } from "ioredis";
import { type Bus, type BusHandler, deliver, type SharedState } from "./bus.ts";

/** Options shared by both connections: retry forever, backing off up to 2 s. */
function connectionOptions() {
  return {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
    enableOfflineQueue: true,
  };
}

/**
 * Redis pub/sub: one connection publishes (and serves shared state), another subscribes,
 * since a subscribed Redis connection cannot run other commands. ioredis resubscribes by
 * itself after a reconnect.
 */
export async function redisBus(url: string): Promise<Bus & { shared: SharedState }> {
  const publisher = new Redis(url, connectionOptions());
  const subscriber = new Redis(url, connectionOptions());
  publisher.on("error", () => {});
  subscriber.on("error", () => {});
  await Promise.all([publisher.connect(), subscriber.connect()]);
  const handlers = new Map<string, Set<BusHandler>>();
  subscriber.on("message", (channel: string, text: string) => {
    const set = handlers.get(channel);
    if (!set) return;
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return;
    }
    for (const handler of set) deliver(handler, payload, channel);
  });
  return {
    kind: "redis",
    async publish(channel, payload) {
      await publisher.publish(channel, JSON.stringify(payload));
    },
    async subscribe(channel, handler) {
      let set = handlers.get(channel);
      if (!set) {
        handlers.set(channel, set = new Set());
        await subscriber.subscribe(channel);
      }
      set.add(handler);
      return async () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(channel) === set) {
          handlers.delete(channel);
          await subscriber.unsubscribe(channel);
        }
      };
    },
    async ping() {
      await publisher.ping();
    },
    async close() {
      handlers.clear();
      subscriber.disconnect();
      publisher.disconnect();
      await Promise.resolve();
    },
    shared: redisSharedState(publisher),
  };
}

/** Shared state on Redis; keys are namespaced so a shared server is never trampled. */
export function redisSharedState(redis: Redis, prefix = "chatcrm:"): SharedState {
  return {
    async increment(key, windowMs) {
      const k = prefix + key;
      const [[, count], [, ttl]] = (await redis.multi().incr(k).pttl(k).exec()) as [
        [Error | null, number],
        [Error | null, number],
      ];
      if (ttl < 0) {
        await redis.pexpire(k, windowMs);
        return { count, resetInMs: windowMs };
      }
      return { count, resetInMs: ttl };
    },
    get(key) {
      return redis.get(prefix + key);
    },
    async set(key, value, ttlMs) {
      if (ttlMs === undefined) await redis.set(prefix + key, value);
      else await redis.set(prefix + key, value, "PX", Math.max(1, Math.ceil(ttlMs)));
    },
    async setIfAbsent(key, value, ttlMs) {
      const ok = await redis.set(prefix + key, value, "PX", Math.max(1, Math.ceil(ttlMs)), "NX");
      return ok === "OK";
    },
    async delete(...keys) {
      if (keys.length) await redis.del(...keys.map((k) => prefix + k));
    },
    async setMember(key, member, score) {
      await redis.zadd(prefix + key, score, member);
    },
    async removeMember(key, member) {
      return (await redis.zrem(prefix + key, member)) === 1;
    },
    async membersUpTo(key, maxScore) {
      return await redis.zrangebyscore(prefix + key, "-inf", maxScore);
    },
    async members(key) {
      const flat = await redis.zrange(prefix + key, 0, -1, "WITHSCORES");
      const out: { member: string; score: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        out.push({ member: flat[i]!, score: Number(flat[i + 1]) });
      }
      return out;
    },
  };
}
