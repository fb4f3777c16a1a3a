import { type Bus, type BusHandler, deliver, type SharedState } from "./bus.ts";

/** The in-process bus: one instance, no network. Delivery is asynchronous like Redis. */
export function memoryBus(): Bus {
  const subscribers = new Map<string, Set<BusHandler>>();
  return {
    kind: "memory",
    publish(channel, payload) {
      const text = JSON.stringify(payload);
      for (const handler of subscribers.get(channel) ?? []) {
        queueMicrotask(() => deliver(handler, JSON.parse(text), channel));
      }
      return Promise.resolve();
    },
    subscribe(channel, handler) {
      let set = subscribers.get(channel);
      if (!set) subscribers.set(channel, set = new Set());
      set.add(handler);
      return Promise.resolve(() => {
        set.delete(handler);
        if (set.size === 0 && subscribers.get(channel) === set) subscribers.delete(channel);
        return Promise.resolve();
      });
    },
    ping: () => Promise.resolve(),
    // Nothing is lost in process, so there is never anything to restore.
    onRestored() {},
    close() {
      subscribers.clear();
      return Promise.resolve();
    },
  };
}

/** In-process counters and expiring keys. */
export function memorySharedState(now: () => number = Date.now): SharedState {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const sets = new Map<string, Map<string, number>>();
  function live(key: string) {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }
  return {
    increment(key, windowMs) {
      const entry = live(key);
      if (!entry) {
        entries.set(key, { value: "1", expiresAt: now() + windowMs });
        return Promise.resolve({ count: 1, resetInMs: windowMs });
      }
      entry.value = String(Number(entry.value) + 1);
      return Promise.resolve({ count: Number(entry.value), resetInMs: entry.expiresAt - now() });
    },
    get(key) {
      return Promise.resolve(live(key)?.value ?? null);
    },
    set(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : now() + ttlMs });
      return Promise.resolve();
    },
    setIfAbsent(key, value, ttlMs) {
      if (live(key)) return Promise.resolve(false);
      entries.set(key, { value, expiresAt: now() + ttlMs });
      return Promise.resolve(true);
    },
    delete(...keys) {
      for (const key of keys) {
        entries.delete(key);
        sets.delete(key);
      }
      return Promise.resolve();
    },
    setMember(key, member, score) {
      let set = sets.get(key);
      if (!set) sets.set(key, set = new Map());
      set.set(member, score);
      return Promise.resolve();
    },
    addMember(key, member, score, liveAbove) {
      let set = sets.get(key);
      if (!set) sets.set(key, set = new Map());
      const before = [...set.values()].filter((s) => s > liveAbove).length;
      set.set(member, score);
      return Promise.resolve(before);
    },
    removeMember(key, member) {
      return Promise.resolve(sets.get(key)?.delete(member) ?? false);
    },
    membersUpTo(key, maxScore) {
      const found = [...(sets.get(key) ?? [])].filter(([, s]) => s <= maxScore);
      return Promise.resolve(found.sort((a, b) => a[1] - b[1]).map(([m]) => m));
    },
    members(key) {
      return Promise.resolve(
        [...(sets.get(key) ?? [])].map(([member, score]) => ({ member, score })),
      );
    },
  };
}
