import assert from "node:assert/strict";
import type { Bus, SharedState } from "@/bus/bus.ts";
import { memoryBus, memorySharedState } from "@/bus/memory.ts";
import { redisBus } from "@/bus/redis.ts";
import { skipRedis, startRedis, type TestRedis } from "@tests/helpers/redis.ts";

export type BusKind = "memory" | "redis";

/** Two instances' view of one bus: for memory both are the same object, as in one process. */
export interface BusPair {
  a: Bus;
  b: Bus;
  shared: SharedState;
  redis: TestRedis | null;
}

async function openPair(kind: BusKind): Promise<BusPair> {
  if (kind === "memory") {
    const bus = memoryBus();
    return { a: bus, b: bus, shared: memorySharedState(), redis: null };
  }
  const redis = await startRedis();
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const a = await redisBus(redis.url, quiet);
  const b = await redisBus(redis.url, quiet);
  return { a, b, shared: a.shared, redis };
}

/** Registers one bus contract test: fresh buses (and, for Redis, a fresh server) per test. */
export function busTest(kind: BusKind, name: string, fn: (pair: BusPair) => Promise<void>): void {
  Deno.test({
    name: `[${kind} bus] ${name}`,
    ignore: kind === "redis" && skipRedis,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const pair = await openPair(kind);
      try {
        await fn(pair);
      } finally {
        await pair.a.close();
        await pair.b.close();
        await pair.redis?.stop();
      }
    },
  });
}

/** Resolves with the next `count` payloads a subscription receives. */
export function collect(bus: Bus, channel: string, count: number) {
  const got: unknown[] = [];
  let done!: (values: unknown[]) => void;
  const all = new Promise<unknown[]>((resolve) => done = resolve);
  const subscribed = bus.subscribe(channel, (payload) => {
    got.push(payload);
    if (got.length === count) done(got);
  });
  return { subscribed, all, got };
}

/** Polls `check` until it is true; fails after `timeoutMs` (for expiries, which have no event). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function busContract(kind: BusKind): void {
  busTest(kind, "a published JSON payload reaches every subscriber of its channel", async (p) => {
    const one = collect(p.b, "room:1", 2);
    const two = collect(p.b, "room:1", 2);
    const other = collect(p.b, "room:2", 1);
    await Promise.all([one.subscribed, two.subscribed, other.subscribed]);
    await p.a.publish("room:1", { text: "hi", n: 1, nested: { ok: true } });
    await p.a.publish("room:1", ["second"]);
    const expected = [{ text: "hi", n: 1, nested: { ok: true } }, ["second"]];
    assert.deepEqual(await one.all, expected);
    assert.deepEqual(await two.all, expected);
    // A marker on room:2 arrives after anything wrongly sent there earlier would have.
    await p.a.publish("room:2", "marker");
    assert.deepEqual(await other.all, ["marker"]);
  });

  busTest(kind, "an unsubscribed handler gets nothing more; others still do", async (p) => {
    const dropped: unknown[] = [];
    const unsubscribe = await p.b.subscribe("user:1", (x) => dropped.push(x));
    const kept = collect(p.b, "user:1", 1);
    await kept.subscribed;
    await unsubscribe();
    await p.a.publish("user:1", 42);
    assert.deepEqual(await kept.all, [42]);
    assert.deepEqual(dropped, []);
  });

  busTest(kind, "a throwing handler does not stop delivery to the others", async (p) => {
    const originalError = console.error;
    const reported: unknown[] = [];
    console.error = (...args: unknown[]) => reported.push(args);
    try {
      await p.b.subscribe("org:1", () => {
        throw new Error("boom");
      });
      const ok = collect(p.b, "org:1", 1);
      await ok.subscribed;
      await p.a.publish("org:1", "still delivered");
      assert.deepEqual(await ok.all, ["still delivered"]);
      assert.equal(reported.length, 1);
    } finally {
      console.error = originalError;
    }
  });

  busTest(kind, "ping answers while the bus is up", async (p) => {
    await p.a.ping();
    await p.b.ping();
  });

  busTest(kind, "increment counts within a window and starts over after it", async (p) => {
    const first = await p.shared.increment("rl:test", 200);
    assert.equal(first.count, 1);
    assert.ok(first.resetInMs > 0 && first.resetInMs <= 200);
    assert.equal((await p.shared.increment("rl:test", 200)).count, 2);
    assert.equal((await p.shared.increment("rl:other", 200)).count, 1);
    await eventually(async () => (await p.shared.get("rl:test")) === null);
    assert.equal((await p.shared.increment("rl:test", 200)).count, 1);
  });

  busTest(kind, "set, get, setIfAbsent and delete keep short-lived keys", async (p) => {
    assert.equal(await p.shared.get("k"), null);
    await p.shared.set("k", "v1");
    assert.equal(await p.shared.get("k"), "v1");
    assert.equal(await p.shared.setIfAbsent("k", "v2", 10_000), false);
    assert.equal(await p.shared.get("k"), "v1");
    assert.equal(await p.shared.setIfAbsent("lease", "me", 10_000), true);
    assert.equal(await p.shared.setIfAbsent("lease", "you", 10_000), false);
    await p.shared.delete("k", "lease");
    assert.equal(await p.shared.get("k"), null);
    assert.equal(await p.shared.setIfAbsent("lease", "you", 10_000), true);
    await p.shared.set("short", "x", 50);
    assert.equal(await p.shared.get("short"), "x");
    await eventually(async () => (await p.shared.get("short")) === null);
  });
}

export function sharedSetContract(kind: BusKind): void {
  busTest(kind, "addMember counts the live members before it adds, in one step", async (p) => {
    const s = p.shared;
    await s.setMember("presence:user:u", "expired-instance", 50);
    const counts = await Promise.all([
      s.addMember("presence:user:u", "a", 1000, 100),
      s.addMember("presence:user:u", "b", 1000, 100),
    ]);
    assert.deepEqual(counts.sort(), [0, 1], "exactly one finds nobody live before it");
    assert.equal(await s.addMember("presence:user:u", "a", 2000, 100), 2);
    assert.equal(await s.addMember("presence:user:u", "c", 2000, 1500), 1);
  });

  busTest(kind, "scored sets add, refresh, list expired and remove members once", async (p) => {
    const s = p.shared;
    await s.setMember("presence", "u1|a", 100);
    await s.setMember("presence", "u1|b", 300);
    await s.setMember("presence", "u2|a", 200);
    await s.setMember("presence", "u1|a", 400);
    assert.deepEqual(await s.membersUpTo("presence", 250), ["u2|a"]);
    const all = (await s.members("presence")).sort((a, b) => a.score - b.score);
    assert.deepEqual(all, [
      { member: "u2|a", score: 200 },
      { member: "u1|b", score: 300 },
      { member: "u1|a", score: 400 },
    ]);
    const removed = await Promise.all([
      s.removeMember("presence", "u2|a"),
      s.removeMember("presence", "u2|a"),
    ]);
    assert.deepEqual(removed.sort(), [false, true]);
    assert.deepEqual(await s.membersUpTo("presence", 1000), ["u1|b", "u1|a"]);
    await s.delete("presence");
    assert.deepEqual(await s.members("presence"), []);
  });
}

/** Redis only: what crosses instances and survives a server restart. */
export function redisOnlyContract(): void {
  busTest("redis", "keys are namespaced under chatcrm: on the server", async (p) => {
    await p.shared.set("ns-check", "1");
    const { Redis } = await import("ioredis");
    const raw = new Redis(p.redis!.url);
    try {
      assert.equal(await raw.get("chatcrm:ns-check"), "1");
      assert.equal(await raw.get("ns-check"), null);
    } finally {
      raw.disconnect();
    }
  });

  busTest(
    "redis",
    "after a restart the bus says it is whole again, with its channels live",
    async (p) => {
      let restored!: () => void;
      const back = new Promise<void>((resolve) => restored = resolve);
      p.b.onRestored(() => restored());
      const heard = collect(p.b, "room:r", 1);
      await heard.subscribed;
      await p.redis!.restart();
      await back;
      // Told only once the subscription is live again: a publish now is heard, with no retry.
      await p.a.publish("room:r", "right after");
      assert.deepEqual(await heard.all, ["right after"]);
    },
  );

  busTest(
    "redis",
    "a channel subscribed while the server is down is live once it is back",
    async (p) => {
      let restored!: () => void;
      const back = new Promise<void>((resolve) => restored = resolve);
      p.b.onRestored(() => restored());
      let late: ReturnType<typeof collect> | undefined;
      await p.redis!.restart(async () => {
        late = collect(p.b, "room:late", 1);
        await late.subscribed;
      });
      await back;
      await p.a.publish("room:late", "heard");
      assert.deepEqual(await late!.all, ["heard"]);
    },
  );

  busTest("redis", "subscriptions come back after the server restarts", async (p) => {
    const before = collect(p.b, "room:r", 1);
    await before.subscribed;
    await p.a.publish("room:r", "before");
    assert.deepEqual(await before.all, ["before"]);
    await p.redis!.restart();
    const after = collect(p.b, "room:r", 1);
    await after.subscribed;
    // Publish until the resubscribed connection hears one: ioredis reconnects on its own time.
    let heard = false;
    void after.all.then(() => heard = true);
    await eventually(async () => {
      if (!heard) await p.a.publish("room:r", "after").catch(() => {});
      await new Promise((r) => setTimeout(r, 20));
      return heard;
    }, 10_000);
    assert.equal(after.got[0], "after");
  });
}
