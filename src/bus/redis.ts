import { Redis } from "ioredis";
import { type Bus, type BusHandler, deliver, type SharedState } from "./bus.ts";

import type { Logger } from "@/log.ts";
import { jsonLogger } from "@/log.ts";

/** Options shared by both connections: retry forever, backing off up to 2 s. */
function connectionOptions() {
  return {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
    enableOfflineQueue: true,
    // Subscriptions are made again by this adapter, which then tells its listeners (below).
    autoResubscribe: false,
  };
}

/**
 * Redis by URL, or through Sentinel: the sentinels name the current primary, and ioredis
 * follows a failover by itself (the URL, when given, carries the login, database and `rediss:`).
 */
export interface RedisTarget {
  url?: string | undefined;
  /** PEM text of the CA(s) that verify a `rediss://` server (REDIS_TLS_CA_FILE). */
  tlsCa?: string | undefined;
  /** `tls`: the sentinels are reached over TLS too, verified by the same CA (REDIS_SENTINEL_TLS). */
  sentinel?:
    | { sentinels: { host: string; port: number }[]; name: string; tls?: boolean }
    | undefined;
}

function connection(target: string | RedisTarget): Redis {
  const { url, sentinel, tlsCa } = typeof target === "string"
    ? { url: target, sentinel: undefined, tlsCa: undefined }
    : target;
  // ioredis turns `rediss:` into TLS with the system's CAs; a given CA replaces them.
  const tls = tlsCa ? { tls: { ca: tlsCa } } : {};
  if (!sentinel) return new Redis(url!, { ...connectionOptions(), ...tls });
  return new Redis(url ?? "redis://localhost", {
    ...connectionOptions(),
    ...tls,
    sentinels: sentinel.sentinels,
    name: sentinel.name,
    // A failover is found by asking the sentinels again; a replica never takes writes.
    role: "master" as const,
    ...(url?.startsWith("rediss:") ? { enableTLSForSentinelMode: true } : {}),
    ...(sentinel.tls ? { sentinelTLS: tlsCa ? { ca: tlsCa } : {} } : {}),
  });
}

/** Where an instance whose publish failed says so once Redis is back, so every instance catches up. */
const restoredChannel = "chatcrm:bus:restored";

/**
 * Redis pub/sub: one connection publishes (and serves shared state), another subscribes,
 * since a subscribed Redis connection cannot run other commands. After the subscriber
 * connection drops (Redis restarted, or closed it for passing its output-buffer limit) or a
 * publish fails, payloads may have been lost: the adapter subscribes every wanted channel
 * again and calls its `onRestored` listeners, which catch up from the store.
 */
export async function redisBus(
  target: string | RedisTarget,
  log: Logger = jsonLogger("warn"),
): Promise<Bus & { shared: SharedState }> {
  const publisher = connection(target);
  const subscriber = connection(target);
  publisher.on("error", () => {});
  subscriber.on("error", () => {});
  await Promise.all([publisher.connect(), subscriber.connect()]);
  const handlers = new Map<string, Set<BusHandler>>();
  const restoredListeners: (() => void)[] = [];
  let closing = false;
  /** A subscription is wanted but not confirmed since the last failure. */
  let broken = false;
  /** A publish failed here: the others are told once one goes through again. */
  let lost = false;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const restored = () => {
    for (const fn of restoredListeners) {
      try {
        fn();
      } catch (err) {
        log.error("bus restore listener failed", { error: String(err) });
      }
    }
  };

  /** Subscribes every wanted channel again; on success the listeners catch up. */
  async function resubscribe() {
    clearTimeout(retry);
    retry = undefined;
    if (closing) return;
    try {
      await subscriber.subscribe(restoredChannel, ...handlers.keys());
    } catch (err) {
      log.warn("bus resubscribe failed; retrying", { error: String(err) });
      retry ??= setTimeout(() => void resubscribe(), 1000);
      return;
    }
    if (broken) {
      broken = false;
      log.info("bus subscriptions restored", { channels: handlers.size });
      restored();
    }
  }

  subscriber.on("close", () => {
    if (closing || broken) return;
    broken = true;
    log.warn("bus subscriber connection lost; catching up from the store once it is back");
  });
  subscriber.on("ready", () => void resubscribe());
  await subscriber.subscribe(restoredChannel);

  async function announceRestored() {
    if (!lost) return;
    lost = false;
    await publisher.publish(restoredChannel, "{}").catch(() => lost = true);
  }
  publisher.on("ready", () => void announceRestored());

  subscriber.on("message", (channel: string, text: string) => {
    if (channel === restoredChannel) return restored();
    const set = handlers.get(channel);
    if (!set) return;
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      log.warn("bus payload is not JSON; dropped", { channel, length: text.length });
      return;
    }
    for (const handler of set) deliver(handler, payload, channel);
  });
  return {
    kind: "redis",
    async publish(channel, payload) {
      try {
        await publisher.publish(channel, JSON.stringify(payload));
      } catch (err) {
        lost = true;
        throw err;
      }
      if (lost) void announceRestored();
    },
    async subscribe(channel, handler) {
      let set = handlers.get(channel);
      if (!set) {
        handlers.set(channel, set = new Set());
        try {
          await subscriber.subscribe(channel);
        } catch (err) {
          // Kept as wanted: subscribed again when the connection is back (or in a second), and
          // the listeners then catch up what it missed.
          log.warn("bus subscribe failed; retrying", { channel, error: String(err) });
          broken = true;
          retry ??= setTimeout(() => void resubscribe(), 1000);
        }
      }
      set.add(handler);
      return async () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(channel) === set) {
          handlers.delete(channel);
          // A failed unsubscribe leaves a channel nobody handles; it is dropped at the next
          // reconnect, which subscribes only wanted channels.
          await subscriber.unsubscribe(channel).catch(() => {});
        }
      };
    },
    async ping() {
      await publisher.ping();
    },
    onRestored(fn) {
      restoredListeners.push(fn);
    },
    async close() {
      closing = true;
      clearTimeout(retry);
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
    async addMember(key, member, score, liveAbove) {
      const k = prefix + key;
      const [[, before]] = (await redis.multi().zcount(k, `(${liveAbove}`, "+inf")
        .zadd(k, score, member).exec()) as [[Error | null, number], [Error | null, number]];
      return before;
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
