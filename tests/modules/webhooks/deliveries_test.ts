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
    assert.deepEqual(run, { attempted: 1, delivered: 1, retrying: 0, failed: 0, pruned: 0 });
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

Deno.test("a receiver that is down gets the delivery once it is back, after a retry, with the same webhook-id", async () => {
  const receiver = webhookReceiver();
  await receiver.stop();
  const { t, clock, desk } = await hookApp();
  try {
    const hook = await aWebhook(desk, receiver.url);
    await openQuery(desk);
    assert.deepEqual(await deliverWebhooks(t.services.webhooks), {
      attempted: 1,
      delivered: 0,
      retrying: 1,
      failed: 0,
      pruned: 0,
    });
    const [failed] = await deliveriesOf(t, desk, hook.id);
    assert.equal(failed.status, "pending");
    assert.equal(failed.attempts, 1);
    assert.equal(failed.lastError, "connection refused");
    assert.equal(failed.lastStatusCode, null);
    const wait = Date.parse(failed.nextAttemptAt) - clock.now().getTime();
    assert.ok(wait >= 5_000 && wait <= 6_000, `first retry after ${wait} ms`);
    // Not due yet: the job leaves it.
    assert.equal((await deliverWebhooks(t.services.webhooks)).attempted, 0);

    receiver.start();
    clock.advance(wait);
    assert.equal((await deliverWebhooks(t.services.webhooks)).delivered, 1);
    assert.equal(receiver.received.length, 1);
    const got = receiver.received[0]!;
    assert.equal(got.headers["webhook-id"], failed.id);
    new Webhook(hook.secret).verify(got.body, got.headers);
    const [done] = await deliveriesOf(t, desk, hook.id);
    assert.equal(done.status, "delivered");
    assert.equal(done.attempts, 2);
  } finally {
    await t.close();
    await receiver.stop();
  }
});

Deno.test("an instance that dies mid-delivery leaves it to another once its lease runs out; the repeat has the same id", async () => {
  const receiver = webhookReceiver();
  const clock = fixedClock(new Date());
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-hooks-" });
  const env = { ...loopback, INSTANCE_ID: "doomed" };
  const doomed = await testApp({ clock, dataDir, env });
  const survivor = await testApp({ clock, dataDir, env: { ...loopback, INSTANCE_ID: "survivor" } });
  let release = () => {};
  try {
    const desk = await aDesk(doomed);
    const hook = await aWebhook(desk, receiver.url);
    await openQuery(desk);
    // The doomed instance sends the request, and never hears back (it "dies" waiting).
    receiver.hold = new Promise((resolve) => release = resolve);
    const inFlight = deliverWebhooks(doomed.services.webhooks);
    await receiver.arrived(1);
    receiver.hold = null;
    // While its lease runs, nobody else takes the delivery.
    assert.equal((await deliverWebhooks(survivor.services.webhooks)).attempted, 0);
    clock.advance(61_000);
    assert.equal((await deliverWebhooks(survivor.services.webhooks)).delivered, 1);
    assert.equal(receiver.received.length, 2);
    const [first, repeat] = receiver.received;
    assert.equal(repeat!.headers["webhook-id"], first!.headers["webhook-id"]);
    assert.equal(repeat!.body, first!.body);
    new Webhook(hook.secret).verify(repeat!.body, repeat!.headers);
    // The late answer to the dead holder changes nothing.
    release();
    await inFlight;
    const [done] = await deliveriesOf(survivor, desk, hook.id);
    assert.equal(done.status, "delivered");
    assert.equal(done.attempts, 1);
  } finally {
    release();
    await survivor.close();
    await doomed.close();
    await receiver.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("an endpoint that answers 410 is disabled, its Admins are told, and no more is queued for it", async () => {
  const receiver = webhookReceiver();
  receiver.status = 410;
  const { t, desk } = await hookApp();
  try {
    const hook = await aWebhook(desk, receiver.url);
    await openQuery(desk);
    assert.equal((await deliverWebhooks(t.services.webhooks)).failed, 1);
    const shown = await expectStatus(
      t.call("GET", `/api/v1/webhooks/${hook.id}`, { token: desk.token.Admin }),
      200,
    );
    assert.equal(shown.active, false);
    assert.equal(shown.disabledReason, "gone");
    const [gone] = await deliveriesOf(t, desk, hook.id);
    assert.equal(gone.status, "failed");
    assert.equal(gone.lastStatusCode, 410);
    const notes = await expectStatus(
      t.call("GET", "/api/v1/notifications", { token: desk.token.Admin }),
      200,
    );
    assert.equal(notes.data[0].type, "webhook.disabled");
    assert.equal(notes.data[0].data.webhookId, hook.id);
    await openQuery(desk);
    assert.equal((await deliveriesOf(t, desk, hook.id)).length, 1);

    // Turned on again by an Admin, it receives events again.
    receiver.status = 204;
    const revived = await expectStatus(
      t.call("PUT", `/api/v1/webhooks/${hook.id}`, {
        token: desk.token.Admin,
        json: { active: true },
      }),
      200,
    );
    assert.equal(revived.disabledReason, null);
    await openQuery(desk);
    assert.equal((await deliverWebhooks(t.services.webhooks)).delivered, 1);
  } finally {
    await t.close();
    await receiver.stop();
  }
});

Deno.test("an endpoint failing every attempt for WEBHOOK_DISABLE_AFTER is disabled and its Admins told", async () => {
  const receiver = webhookReceiver();
  receiver.status = 500;
  const { t, clock, desk } = await hookApp({ WEBHOOK_DISABLE_AFTER: "1h" });
  try {
    const hook = await aWebhook(desk, receiver.url);
    await openQuery(desk);
    await deliverWebhooks(t.services.webhooks);
    const failing = await expectStatus(
      t.call("GET", `/api/v1/webhooks/${hook.id}`, { token: desk.token.Admin }),
      200,
    );
    assert.equal(failing.active, true);
    assert.equal(failing.failingSince, clock.now().toISOString());
    clock.advance(30 * 60_000);
    await deliverWebhooks(t.services.webhooks);
    assert.equal((await t.services.webhooks.get(desk.org.id, hook.id)).active, true);
    clock.advance(30 * 60_000);
    await deliverWebhooks(t.services.webhooks);
    const off = await t.services.webhooks.get(desk.org.id, hook.id);
    assert.equal(off.active, false);
    assert.equal(off.disabledReason, "failing");
    assert.equal(receiver.received.length, 3);
    const notes = await t.services.notifications.list(desk.org.id, desk.users.Admin.id, {
      page: 1,
      limit: 10,
    });
    assert.equal(notes.data[0]?.type, "webhook.disabled");
    // Its pending delivery is not attempted again.
    clock.advance(24 * 3600_000);
    await deliverWebhooks(t.services.webhooks);
    assert.equal(receiver.received.length, 3);
  } finally {
    await t.close();
    await receiver.stop();
  }
});

Deno.test("where the jobs run (CRONS_ENABLED), a new delivery is attempted at once, without waiting for the job", async () => {
  const receiver = webhookReceiver();
  const { t, desk } = await hookApp({ CRONS_ENABLED: "true" });
  try {
    const hook = await aWebhook(desk, receiver.url);
    await openQuery(desk);
    await t.services.webhooks.settle();
    assert.equal(receiver.received.length, 1);
    const got = receiver.received[0]!;
    assert.equal(
      (new Webhook(hook.secret).verify(got.body, got.headers) as { type: string }).type,
      "query.created",
    );
    const [done] = await deliveriesOf(t, desk, hook.id);
    assert.equal(done.status, "delivered");
    // Nothing is left for the job.
    assert.equal((await deliverWebhooks(t.services.webhooks)).attempted, 0);
  } finally {
    await t.close();
    await receiver.stop();
  }
});

Deno.test("team.created, team.updated and team.deleted reach a subscribed webhook with the team as GET /teams/{id} shows it", async () => {
  const receiver = webhookReceiver();
  const { t, desk } = await hookApp();
  try {
    const events = ["team.created", "team.updated", "team.deleted"];
    const hook = await aWebhook(desk, receiver.url, { events });
    const admin = (method: string, path: string, json?: unknown) =>
      t.call(method, `/api/v1/teams${path}`, {
        token: desk.token.Admin,
        ...(json ? { json } : {}),
      });
    const team = await expectStatus(admin("POST", "", { name: "Night" }), 201);
    const renamed = await expectStatus(admin("PUT", `/${team.id}`, { name: "Nights" }), 200);
    await expectStatus(admin("DELETE", `/${team.id}`), 204);
    assert.equal((await deliverWebhooks(t.services.webhooks)).delivered, 3);
    const bodies = receiver.received.map((got) =>
      new Webhook(hook.secret).verify(got.body, got.headers) as { type: string; data: unknown }
    ).sort((a, b) => events.indexOf(a.type) - events.indexOf(b.type));
    assert.deepEqual(bodies.map((b) => [b.type, b.data]), [
      ["team.created", { team }],
      ["team.updated", { team: renamed, fields: ["name"] }],
      ["team.deleted", { teamId: team.id, name: "Nights" }],
    ]);
  } finally {
    await t.close();
    await receiver.stop();
  }
});
