import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { deliverWebhooks } from "@/jobs/webhook_deliveries.ts";
import type { DomainEvent } from "@/events.ts";
import { uuidv7 } from "@/ids.ts";
import { testApp } from "@tests/helpers/app.ts";
import { skipRedis, startRedis } from "@tests/helpers/redis.ts";
import { aDesk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { webhookReceiver } from "@tests/helpers/webhook_receiver.ts";

/** Instances A and B on one SQLite file and one real Redis, and a receiver they may reach. */
async function twoInstances(env: Record<string, string> = {}) {
  const redis = await startRedis();
  const receiver = webhookReceiver();
  const shared = { REDIS_URL: redis.url, OUTBOUND_ALLOWED_CIDRS: "127.0.0.0/8", ...env };
  const a = await testApp({ env: { ...shared, INSTANCE_ID: "a" } });
  const b = await testApp({ dataDir: a.deps.config.dataDir, env: { ...shared, INSTANCE_ID: "b" } });
  return { redis, receiver, a, b };
}

Deno.test({
  name:
    "two instances on Redis: an event on A is delivered once, with one webhook-id, though both run the delivery job",
  ignore: skipRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // Both run the jobs (so A also attempts at once), on one SQLite file and one Redis.
    const { redis, receiver, a, b } = await twoInstances({ CRONS_ENABLED: "true" });
    let release = () => {};
    try {
      const desk = await aDesk(a);
      const hook = await expectStatus(
        a.call("POST", "/api/v1/webhooks", {
          token: desk.token.Admin,
          json: { url: receiver.url, events: ["query.created"] },
        }),
        201,
      );
      // The receiver holds its answer, so every instance's job runs while A's attempt is open.
      receiver.hold = new Promise((resolve) => release = resolve);
      const query = await openQuery(desk);
      await receiver.arrived(1);
      const runs = await Promise.all([
        deliverWebhooks(a.services.webhooks),
        deliverWebhooks(b.services.webhooks),
        deliverWebhooks(b.services.webhooks),
      ]);
      assert.deepEqual(runs.map((r) => r.attempted), [0, 0, 0], "the lease holds them off");
      release();
      await a.services.webhooks.settle();
      const again = await Promise.all([
        deliverWebhooks(a.services.webhooks),
        deliverWebhooks(b.services.webhooks),
      ]);
      assert.deepEqual(again.map((r) => r.attempted), [0, 0], "delivered: nothing is left");

      assert.equal(receiver.received.length, 1);
      const got = receiver.received[0]!;
      const event = new Webhook(hook.secret).verify(got.body, got.headers) as {
        type: string;
        data: { query: { id: string } };
      };
      assert.equal(event.type, "query.created");
      assert.equal(event.data.query.id, query.id);
      // One outbox row, seen the same from B.
      const { data } = await expectStatus(
        b.call("GET", `/api/v1/webhooks/${hook.id}/deliveries`, { token: desk.token.Admin }),
        200,
      );
      assert.equal(data.length, 1);
      assert.equal(data[0].id, got.headers["webhook-id"]);
      assert.equal(data[0].status, "delivered");
      assert.equal(data[0].attempts, 1);
    } finally {
      release();
      await b.close();
      await a.close();
      await receiver.stop();
      await redis.stop();
    }
  },
});

/** A `query.created` event of the organization, as the query service emits it. */
function anEvent(orgId: string): DomainEvent {
  const at = new Date().toISOString();
  return {
    id: uuidv7(),
    name: "query.created",
    organizationId: orgId,
    actorId: "system",
    at,
    data: { query: { id: uuidv7(), organizationId: orgId, title: "Parcel", createdAt: at } },
  } as unknown as DomainEvent;
}

Deno.test({
  name:
    "two instances on Redis: an endpoint made or turned off on B counts for A's next event, though A had just read its endpoints",
  ignore: skipRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { redis, receiver, a, b } = await twoInstances();
    try {
      const desk = await aDesk(a);
      // Told after A's own listener on the channel: by then A has dropped what it kept.
      const changes: string[] = [];
      let heard = Promise.withResolvers<void>();
      await a.deps.bus.subscribe("webhooks:changed", (p) => {
        changes.push((p as { orgId: string }).orgId);
        heard.resolve();
      });
      // An event on A while the organization has no endpoint: A has read (and keeps) none.
      assert.equal(await a.services.webhooks.enqueue(anEvent(desk.org.id)), 0);
      const hook = await expectStatus(
        b.call("POST", "/api/v1/webhooks", {
          token: desk.token.Admin,
          json: { url: receiver.url, events: ["query.created"] },
        }),
        201,
      );
      await heard.promise;
      assert.equal(await a.services.webhooks.enqueue(anEvent(desk.org.id)), 1);
      heard = Promise.withResolvers<void>();
      await expectStatus(
        b.call("PUT", `/api/v1/webhooks/${hook.id}`, {
          token: desk.token.Admin,
          json: { active: false },
        }),
        200,
      );
      await heard.promise;
      assert.equal(await a.services.webhooks.enqueue(anEvent(desk.org.id)), 0);
      assert.deepEqual(changes, [desk.org.id, desk.org.id]);
    } finally {
      await b.close();
      await a.close();
      await receiver.stop();
      await redis.stop();
    }
  },
});
