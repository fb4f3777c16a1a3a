import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { fixedClock } from "@/clock.ts";
import { deliverWebhooks } from "@/jobs/webhook_deliveries.ts";
import { type TestApp, testApp } from "@tests/helpers/app.ts";
import { aDesk, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { webhookReceiver } from "@tests/helpers/webhook_receiver.ts";

const loopback = { OUTBOUND_ALLOWED_CIDRS: "127.0.0.0/8" };

/** A test app whose clock starts now (receivers check the timestamp against their own clock). */
async function hookApp(env: Record<string, string> = {}) {
  const clock = fixedClock(new Date());
  const t = await testApp({ clock, env: { ...loopback, ...env } });
  return { t, clock, desk: await aDesk(t) };
}

async function aWebhook(desk: Desk, url: string, extra: Record<string, unknown> = {}) {
  return await expectStatus(
    desk.t.call("POST", "/api/v1/webhooks", {
      token: desk.token.Admin,
      json: { url, events: ["query.created"], description: "CRM sync", ...extra },
    }),
    201,
  );
}

async function deliveriesOf(t: TestApp, desk: Desk, id: string) {
  return (await expectStatus(
    t.call("GET", `/api/v1/webhooks/${id}/deliveries`, { token: desk.token.Admin }),
    200,
  )).data;
}

Deno.test("a customer's new query reaches the webhook signed, as the Standard Webhooks library verifies", async () => {
  const receiver = webhookReceiver();
  const { t, desk } = await hookApp();
  try {
    const hook = await aWebhook(desk, receiver.url);
    assert.match(hook.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    const shown = await expectStatus(
      t.call("GET", `/api/v1/webhooks/${hook.id}`, { token: desk.token.Admin }),
      200,
    );
    assert.equal(shown.secret, undefined, "the secret is shown once");
    const query = await openQuery(desk);

    // The outbox holds the delivery before any attempt.
    const [queued] = await deliveriesOf(t, desk, hook.id);
    assert.equal(queued.status, "pending");
    assert.equal(queued.attempts, 0);
    assert.equal(receiver.received.length, 0);

    const run = await deliverWebhooks(t.services.webhooks);
    assert.deepEqual(run, { attempted: 1, delivered: 1, retrying: 0, failed: 0 });
    assert.equal(receiver.received.length, 1);
    const got = receiver.received[0]!;
    const verified = new Webhook(hook.secret).verify(got.body, got.headers) as {
      type: string;
      timestamp: string;
      data: { query: { id: string; title: string } };
    };
    assert.equal(verified.type, "query.created");
    assert.equal(verified.data.query.id, query.id);
    assert.equal(verified.data.query.title, "Cannot log in");
    assert.equal(got.headers["webhook-id"], queued.id);
    assert.deepEqual(Object.keys(JSON.parse(got.body)), ["type", "timestamp", "data"]);
    assert.ok(!/passwordHash|whsec_/.test(got.body));
    assert.throws(() =>
      new Webhook("whsec_" + btoa("another secret!")).verify(got.body, got.headers)
    );

    const [done] = await deliveriesOf(t, desk, hook.id);
    assert.equal(done.status, "delivered");
    assert.equal(done.attempts, 1);
    assert.equal(done.lastStatusCode, 200);
    assert.equal(typeof done.lastLatencyMs, "number");
    assert.equal(done.nextAttemptAt, null);
    // Only subscribed events: a message is not a query.created.
    assert.equal((await deliverWebhooks(t.services.webhooks)).attempted, 0);
  } finally {
    await t.close();
    await receiver.stop();
  }
});
