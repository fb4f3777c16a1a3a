import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { fixedClock } from "@/clock.ts";
import { deliverWebhooks } from "@/jobs/webhook_deliveries.ts";
import { maxAttempts, retryDelayMs } from "@/modules/webhooks/delivery.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { webhookReceiver } from "@tests/helpers/webhook_receiver.ts";

const loopback = { OUTBOUND_ALLOWED_CIDRS: "127.0.0.0/8" };

Deno.test("retryDelayMs() backs off exponentially with jitter, the retries spanning more than a day", () => {
  const retries = Array.from({ length: maxAttempts - 1 }, (_, i) => i + 1);
  const least = retries.reduce((sum, n) => sum + retryDelayMs(n, () => 0), 0);
  assert.ok(least >= 24 * 3600_000, `${least} ms`);
  assert.equal(retryDelayMs(1, () => 0), 5_000);
  assert.equal(retryDelayMs(2, () => 0), 20_000);
  assert.equal(retryDelayMs(1, () => 1), 6_000);
  assert.ok(retryDelayMs(9, () => 0) <= 10 * 3600_000);
});

Deno.test("POST /webhooks/{id}/rotate-secret: old and new secrets both sign during the grace period, then only the new", async () => {
  const receiver = webhookReceiver();
  const clock = fixedClock(new Date());
  const t = await testApp({ clock, env: { ...loopback, WEBHOOK_SECRET_GRACE: "2m" } });
  try {
    const desk = await aDesk(t);
    const token = desk.token.Admin;
    const hook = await expectStatus(
      t.call("POST", "/api/v1/webhooks", { token, json: { url: receiver.url } }),
      201,
    );
    assert.deepEqual(hook.events, ["*"]);
    const rotated = await expectStatus(
      t.call("POST", `/api/v1/webhooks/${hook.id}/rotate-secret`, { token }),
      200,
    );
    assert.notEqual(rotated.secret, hook.secret);
    assert.match(rotated.secret, /^whsec_/);
    assert.equal(Date.parse(rotated.previousSecretUntil) - clock.now().getTime(), 120_000);

    const ping = await expectStatus(
      t.call("POST", `/api/v1/webhooks/${hook.id}/test`, { token }),
      200,
    );
    assert.equal(ping.type, "ping");
    assert.equal(ping.status, "delivered");
    const during = receiver.received[0]!;
    assert.equal(during.headers["webhook-signature"]!.split(" ").length, 2);
    for (const secret of [hook.secret, rotated.secret]) {
      new Webhook(secret).verify(during.body, during.headers);
    }
    assert.equal(JSON.parse(during.body).type, "ping");

    clock.advance(121_000);
    await expectStatus(t.call("POST", `/api/v1/webhooks/${hook.id}/test`, { token }), 200);
    const after = receiver.received[1]!;
    new Webhook(rotated.secret).verify(after.body, after.headers);
    assert.throws(() => new Webhook(hook.secret).verify(after.body, after.headers));
  } finally {
    await t.close();
    await receiver.stop();
  }
});

Deno.test("POST /webhooks/{id}/deliveries/{deliveryId}/retry attempts again now with the same webhook-id", async () => {
  const receiver = webhookReceiver();
  receiver.status = 503;
  const t = await testApp({ env: loopback });
  try {
    const desk = await aDesk(t);
    const token = desk.token.Admin;
    const hook = await expectStatus(
      t.call("POST", "/api/v1/webhooks", {
        token,
        json: { url: receiver.url, events: ["query.created", "query.assigned"] },
      }),
      201,
    );
    await openQuery(desk);
    await deliverWebhooks(t.services.webhooks);
    const list = await expectStatus(
      t.call("GET", `/api/v1/webhooks/${hook.id}/deliveries`, { token }),
      200,
    );
    const failed = list.data[0];
    assert.equal(failed.lastStatusCode, 503);
    assert.equal(failed.lastError, "Answered HTTP 503");
    receiver.status = 200;
    const retried = await expectStatus(
      t.call("POST", `/api/v1/webhooks/${hook.id}/deliveries/${failed.id}/retry`, { token }),
      200,
    );
    assert.equal(retried.status, "delivered");
    assert.equal(retried.attempts, 2);
    assert.deepEqual(receiver.received.map((r) => r.headers["webhook-id"]), [failed.id, failed.id]);
    await expectStatus(
      t.call("POST", `/api/v1/webhooks/${hook.id}/deliveries/not-a-delivery/retry`, { token }),
      404,
    );
  } finally {
    await t.close();
    await receiver.stop();
  }
});

Deno.test("webhook deliveries go through the egress policy: loopback is refused unless allowed, redirects are not followed", async () => {
  const receiver = webhookReceiver();
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const token = desk.token.Admin;
    // An address the policy refuses is refused at once; a name is checked at each delivery.
    for (const url of [receiver.url, "http://[::1]/x", "http://169.254.169.254/latest"]) {
      const refused = await expectStatus(
        t.call("POST", "/api/v1/webhooks", { token, json: { url } }),
        400,
      );
      assert.match(refused.error.details[0].message, /refused by the egress policy/);
    }
    const hook = await expectStatus(
      t.call("POST", "/api/v1/webhooks", {
        token,
        json: { url: receiver.url.replace("127.0.0.1", "localhost") },
      }),
      201,
    );
    const ping = await expectStatus(
      t.call("POST", `/api/v1/webhooks/${hook.id}/test`, { token }),
      200,
    );
    assert.equal(ping.status, "pending");
    assert.equal(ping.lastError, "refused by policy");
    assert.equal(receiver.received.length, 0);
  } finally {
    await t.close();
  }
  const allowed = await testApp({ env: loopback });
  try {
    const desk = await aDesk(allowed);
    const token = desk.token.Admin;
    const target = webhookReceiver({ path: "/elsewhere" });
    const redirect = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response(null, { status: 307, headers: { location: target.url } }),
    );
    try {
      const url = `http://127.0.0.1:${(redirect.addr as Deno.NetAddr).port}/hook`;
      const hook = await expectStatus(
        allowed.call("POST", "/api/v1/webhooks", { token, json: { url } }),
        201,
      );
      const ping = await expectStatus(
        allowed.call("POST", `/api/v1/webhooks/${hook.id}/test`, { token }),
        200,
      );
      assert.equal(ping.lastStatusCode, 307);
      assert.equal(ping.status, "pending");
      assert.equal(target.received.length, 0);
    } finally {
      await redirect.shutdown();
      await target.stop();
    }
  } finally {
    await allowed.close();
    await receiver.stop();
  }
});

Deno.test("/webhooks: validation, Admin only, CRUD", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const token = desk.token.Admin;
    for (
      const json of [
        { url: "ftp://example.com/x" },
        { url: "https://user:pw@example.com/x" },
        { url: "https://example.com/x", events: ["query.exploded"] },
        { url: "https://example.com/x", events: [] },
        { url: "https://example.com/x", secret: "mine" },
      ]
    ) {
      const body = await expectStatus(t.call("POST", "/api/v1/webhooks", { token, json }), 400);
      assert.equal(body.error.code, "VALIDATION_FAILED");
    }
    for (const role of ["TL", "QA", "Agent", "Customer"] as const) {
      await expectStatus(
        t.call("POST", "/api/v1/webhooks", {
          token: desk.token[role],
          json: { url: "https://example.com" },
        }),
        403,
      );
      await expectStatus(t.call("GET", "/api/v1/webhooks", { token: desk.token[role] }), 403);
    }
    const made = await expectStatus(
      t.call("POST", "/api/v1/webhooks", {
        token,
        json: { url: "https://example.com/hooks", events: ["query.created", "message.created"] },
      }),
      201,
    );
    const list = await expectStatus(t.call("GET", "/api/v1/webhooks", { token }), 200);
    assert.deepEqual(list.meta, { total: 1, page: 1, limit: 20 });
    assert.equal(list.data[0].secret, undefined);
    const changed = await expectStatus(
      t.call("PUT", `/api/v1/webhooks/${made.id}`, {
        token,
        json: { description: "Billing", events: ["*"], active: false },
      }),
      200,
    );
    assert.equal(changed.description, "Billing");
    assert.deepEqual(changed.events, ["*"]);
    assert.equal(changed.active, false);
    // An inactive endpoint gets nothing queued.
    await openQuery(desk);
    const none = await expectStatus(
      t.call("GET", `/api/v1/webhooks/${made.id}/deliveries`, { token }),
      200,
    );
    assert.equal(none.meta.total, 0);
    await expectStatus(t.call("DELETE", `/api/v1/webhooks/${made.id}`, { token }), 204);
    await expectStatus(t.call("GET", `/api/v1/webhooks/${made.id}`, { token }), 404);
    await expectStatus(t.call("DELETE", `/api/v1/webhooks/${made.id}`, { token }), 404);
    const audit = await expectStatus(
      t.call("GET", "/api/v1/admin/audit?limit=100", { token }),
      200,
    );
    const mine = audit.data.filter((e: { targetId: string }) => e.targetId === made.id);
    assert.deepEqual(mine.map((e: { action: string }) => e.action).sort(), [
      "webhook.created",
      "webhook.removed",
      "webhook.updated",
    ]);
    assert.ok(mine.every((e: { actorId: string }) => e.actorId === desk.users.Admin.id));
    assert.ok(!JSON.stringify(audit).includes("whsec_"), "no secret in the audit log");
  } finally {
    await t.close();
  }
});

Deno.test("the webhook job deletes finished deliveries after 30 days; removing an endpoint ends its pending ones", async () => {
  const receiver = webhookReceiver();
  const clock = fixedClock(new Date());
  const t = await testApp({ clock, env: loopback });
  try {
    const desk = await aDesk(t);
    const token = desk.token.Admin;
    const kept = await expectStatus(
      t.call("POST", "/api/v1/webhooks", { token, json: { url: receiver.url } }),
      201,
    );
    const removed = await expectStatus(
      t.call("POST", "/api/v1/webhooks", { token, json: { url: receiver.url } }),
      201,
    );
    const opened = await openQuery(desk);
    const list = (id: string) =>
      t.services.webhooks.deliveries(desk.org.id, id, { page: 1, limit: 100 });
    assert.equal((await list(removed.id)).total, 1);
    const pendingId = (await list(removed.id)).data[0]!.id;
    await expectStatus(t.call("DELETE", `/api/v1/webhooks/${removed.id}`, { token }), 204);
    const ended = await t.deps.store.documents("webhook_deliveries").get(desk.org.id, pendingId);
    assert.equal(ended?.status, "failed");
    assert.equal(ended?.lastError, "Endpoint removed");

    assert.equal((await deliverWebhooks(t.services.webhooks)).delivered, 1);
    clock.advance(29 * 86400_000);
    // A later event (staff tokens would have expired by now: straight through the events).
    const query = (await t.deps.store.queries.findById(desk.org.id, opened.id))!;
    await t.services.events.emit("query.created", {
      organizationId: desk.org.id,
      actorId: "system",
    }, { query });
    assert.equal((await deliverWebhooks(t.services.webhooks)).pruned, 0);
    clock.advance(2 * 86400_000);
    // The first two (delivered, and ended by the removal) are past 30 days; the second is not.
    assert.equal((await deliverWebhooks(t.services.webhooks)).pruned, 2);
    const left = await list(kept.id);
    assert.equal(left.total, 1);
    assert.equal(left.data[0]!.status, "delivered");
  } finally {
    await t.close();
    await receiver.stop();
  }
});

Deno.test("a webhook whose secret cannot be opened (ENCRYPTION_KEY changed) fails in words and sends nothing", async () => {
  const receiver = webhookReceiver();
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-hooks-" });
  const before = await testApp({ dataDir, env: loopback });
  const desk = await aDesk(before);
  await expectStatus(
    before.call("POST", "/api/v1/webhooks", {
      token: desk.token.Admin,
      json: { url: receiver.url },
    }),
    201,
  );
  await openQuery(desk);
  await before.close();
  const after = await testApp({
    dataDir,
    env: { ...loopback, ENCRYPTION_KEY: "another-encryption-key-of-32-chars-or-more" },
  });
  try {
    assert.equal((await deliverWebhooks(after.services.webhooks)).retrying, 1);
    const [hook] = (await after.services.webhooks.list(desk.org.id, { page: 1, limit: 1 })).data;
    const [d] = (await after.services.webhooks.deliveries(desk.org.id, hook!.id, {
      page: 1,
      limit: 1,
    })).data;
    assert.match(d!.lastError!, /^secret unreadable/);
    assert.equal(receiver.received.length, 0);
  } finally {
    await after.close();
    await receiver.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
