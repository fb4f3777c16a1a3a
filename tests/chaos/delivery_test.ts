/**
 * The delivery guarantee under faults (issue 13): two instances on one store and one Redis,
 * writers on both in the same rooms, members of every room on both; each scenario ends with
 * every acked message delivered to every member exactly once and in seq order, and the stored
 * history equal to the acked set.
 *
 * CHAOS_SECONDS (default 4) and CHAOS_RATE (messages per second, default 200) make a longer
 * run, e.g. `CHAOS_SECONDS=60 CHAOS_RATE=2000 deno test -A tests/chaos/`; CHAOS_ROOMS (3)
 * spreads it over more rooms.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { skipRedis } from "@tests/helpers/redis.ts";
import { skipMongo } from "@tests/helpers/mongo.ts";
import { type Cluster, startCluster } from "./cluster.ts";
import { drive, historyProblems, prepare, type Run, verdict } from "./verifier.ts";

const seconds = Number(Deno.env.get("CHAOS_SECONDS") ?? 4);
const rate = Number(Deno.env.get("CHAOS_RATE") ?? 200);
const roomCount = Number(Deno.env.get("CHAOS_ROOMS") ?? 3);
/** How long deliveries may take to settle once the writers stop. */
const settleMs = 20_000 + seconds * 500;

function chaosTest(
  name: string,
  options: Parameters<typeof startCluster>[0] & { textBytes?: number; rate?: number },
  fault: (c: Cluster, run: Run) => Promise<void>,
) {
  Deno.test({
    name,
    ignore: skipRedis || (options.store === "mongo" && skipMongo),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const c = await startCluster(options);
      try {
        const idle = c.instances.map((i) => i.rssMb());
        const run = await prepare(c, roomCount, options.textBytes);
        const driving = drive(run, options.rate ?? rate, seconds);
        const faulted = fault(c, run).then(() => null, (err) => err);
        const sent = await driving;
        const failed = await faulted;
        if (failed) throw failed;
        await run.settled(settleMs).catch(() => {});
        for (const w of run.writers) assert.equal(w.pending.size, 0, `${w.name} has unacked sends`);
        const problems = [...verdict(run), ...await historyProblems(c, run, c.instances[0])];
        const acked = [...run.acked.values()].reduce((n, m) => n + m.size, 0);
        assert.deepEqual(problems, [], `${acked} acked of ${sent} sent`);
        assert.ok(acked >= sent * 0.5, `only ${acked} of ${sent} sends were acked`);
        console.log(
          `chaos: ${name}: ${acked} messages acked in ${seconds} s (${options.rate ?? rate} ` +
            `msg/s offered, ${Math.round(acked / seconds)} acked per second), each delivered to ` +
            `${run.members.length} members (${acked * run.members.length} deliveries) ` +
            `in ${roomCount} rooms, none lost or repeated`,
        );
        const busy = c.instances.map((i) => i.rssMb());
        for (const m of run.members) m.stop();
        for (const w of run.writers) w.stop();
        // Not asserted (memory is measured, never asserted): in a longer run, how far each
        // instance's memory comes back towards where it started once the sockets close.
        if (Deno.env.has("CHAOS_SECONDS")) await new Promise((r) => setTimeout(r, 3000));
        const after = c.instances.map((i) => i.rssMb());
        const mb = (n: number) => Number.isNaN(n) ? "gone" : `${n.toFixed(0)} MB`;
        console.log(
          "chaos: RSS at start / end of the run / after the sockets closed: " +
            c.instances.map((inst, k) =>
              `${inst.name} ${mb(idle[k]!)} / ${mb(busy[k]!)} / ${mb(after[k]!)}`
            ).join(", "),
        );
      } catch (err) {
        for (const i of c.instances) console.error(`--- instance ${i.name} log ---\n${i.log()}`);
        throw err;
      } finally {
        await c.close();
      }
    },
  });
}

const at = (fraction: number) => new Promise((r) => setTimeout(r, seconds * 1000 * fraction));

chaosTest(
  "concurrent writers on both instances in the same rooms",
  { store: "sqlite" },
  () => Promise.resolve(),
);

chaosTest("Redis killed and restarted mid-run", { store: "sqlite" }, async (c) => {
  await at(0.3);
  await c.redis.restart(() => at(0.25).then(() => {}));
});

chaosTest("an instance killed mid-burst; its members go on from the other", {
  store: "sqlite",
}, async (c) => {
  await at(0.5);
  c.instances[1].signal("SIGKILL");
  await c.instances[1].exited;
});

chaosTest(
  "a subscriber pushed past Redis's output-buffer limit catches up from the store",
  {
    store: "sqlite",
    redisArgs: ["--client-output-buffer-limit", "pubsub 64kb 32kb 1"],
    textBytes: 2048,
  },
  async (c, run) => {
    const redis = new Redis(c.redis.url);
    try {
      const subscribers = async () =>
        (await redis.call("CLIENT", "LIST", "TYPE", "pubsub") as string).split("\n")
          .filter(Boolean).length;
      const before = await subscribers();
      await at(0.25);
      // A copy of a message every member already has, padded: the instances drop it as a
      // repeat, but it fills the pipe to a subscriber that does not read.
      const room = run.rooms[0]!;
      const res = await fetch(
        `${c.instances[0].url}/api/v1/chat/rooms/${room}/messages?afterSeq=0&limit=1`,
        {
          headers: { authorization: `Bearer ${c.users[0]!.token}` },
        },
      );
      const [first] = (await res.json()).data;
      const padding = JSON.stringify({
        event: "message-received",
        data: { message: { ...first, text: "p".repeat(60_000) }, sender: {} },
      });
      // Paused, B reads nothing: once the kernel's buffers are full, Redis's own buffer for B's
      // subscriber passes the limit and Redis closes it, as it closes a subscriber that cannot
      // keep up. Meanwhile the writers go on; B is resumed once Redis has closed it.
      c.instances[1].signal("SIGSTOP");
      for (let i = 0; i < 2000 && await subscribers() >= before; i++) {
        await Promise.all(Array.from({ length: 20 }, () => redis.publish(`room:${room}`, padding)));
      }
      c.instances[1].signal("SIGCONT");
      assert.ok(await subscribers() < before, "Redis never closed the paused subscriber");
      for (
        let i = 0;
        i < 100 && !/bus subscriber connection lost/.test(c.instances[1].log());
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(c.instances[1].log(), /bus subscriber connection lost/);
    } finally {
      redis.disconnect();
    }
  },
);

chaosTest("on MongoDB: concurrent writers and a Redis restart", {
  store: "mongo",
  rate: Math.min(rate, 50),
}, async (c) => {
  await at(0.4);
  await c.redis.restart(() => at(0.2).then(() => {}));
});
