import assert from "node:assert/strict";
import { channels } from "@/bus/bus.ts";
import { fixedClock } from "@/clock.ts";
import { testApp } from "@tests/helpers/app.ts";
import { skipRedis, startRedis } from "@tests/helpers/redis.ts";
import { aDesk, anAgent, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { collect } from "@tests/contract/bus_contract.ts";

/** A user event as it travels on the bus. */
type Pushed = { event: string; data: Record<string, string> };

Deno.test({
  name: "events published on one instance reach a subscriber on the other through Redis",
  ignore: skipRedis,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const redis = await startRedis();
    const a = await testApp({ env: { REDIS_URL: redis.url } });
    const b = await testApp({ dataDir: a.deps.config.dataDir, env: { REDIS_URL: redis.url } });
    try {
      const desk = await aDesk(a);
      const agent = await anAgent(desk);
      const toAgent = collect(b.deps.bus, channels.user(agent.user.id), 2);
      const toCustomer = collect(b.deps.bus, channels.user(desk.users.Customer.id), 1);
      await Promise.all([toAgent.subscribed, toCustomer.subscribed]);
      const q = await openQuery(desk);
      const [assigned, notification] = await toAgent.all as Pushed[];
      assert.equal(assigned!.event, "query-assigned");
      assert.equal(assigned!.data.id, q.id);
      assert.equal(notification!.event, "notification");
      assert.equal(notification!.data.title, `${q.reference} assigned to you`);
      const [updated] = await toCustomer.all as Pushed[];
      assert.equal(updated!.event, "query-updated");
      assert.equal(updated!.data.assignedTo, agent.user.id);
      // The notification was stored before it was pushed: instance B lists it.
      const listed = await expectStatus(
        b.call("GET", "/api/v1/notifications", { token: agent.token }),
        200,
      );
      assert.equal(listed.data[0].id, notification!.data.id);
    } finally {
      await b.close();
      await a.close();
      await redis.stop();
    }
  },
});

Deno.test("GET /notifications lists unread first; read and read-all mark them", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk, { max: 10 });
    for (let i = 0; i < 3; i++) await openQuery(desk);
    const list = () =>
      expectStatus(t.call("GET", "/api/v1/notifications", { token: agent.token }), 200);
    const first = await list();
    assert.equal(first.meta.total, 3);
    assert.equal(first.meta.unread, 3);
    const oldest = first.data[2];
    await expectStatus(
      t.call("PUT", `/api/v1/notifications/${oldest.id}/read`, { token: agent.token }),
      200,
    );
    const second = await list();
    assert.equal(second.meta.unread, 2);
    assert.equal(second.data[2].id, oldest.id, "read ones come last");
    assert.equal(second.data[2].read, true);
    const other = await t.call("PUT", `/api/v1/notifications/${oldest.id}/read`, {
      token: desk.token.Admin,
    });
    assert.equal(other.status, 404, "someone else's notification is not found");
    await other.body?.cancel();
    const all = await expectStatus(
      t.call("PUT", "/api/v1/notifications/read-all", { token: agent.token }),
      200,
    );
    assert.equal(all.updated, 2);
    assert.equal((await list()).meta.unread, 0);
  } finally {
    await t.close();
  }
});

Deno.test("the SLA job warns before a target, marks each breach once, and tells the TL", async () => {
  const clock = fixedClock("2026-06-01T09:00:00.000Z");
  const t = await testApp({ clock });
  try {
    const desk = await aDesk(t, {
      sla: {
        Low: { firstResponseMinutes: 60, resolutionMinutes: 600 },
        Medium: { firstResponseMinutes: 30, resolutionMinutes: 120 },
        High: { firstResponseMinutes: 20, resolutionMinutes: 60 },
        Urgent: { firstResponseMinutes: 10, resolutionMinutes: 30 },
      },
      slaWarnMinutes: 5,
    });
    const agent = await anAgent(desk);
    const q = await openQuery(desk);
    const paused = await openQuery(desk);
    await expectStatus(
      t.call("PUT", `/api/v1/queries/${paused.id}`, {
        token: agent.token,
        json: { waitingOn: "customer" },
      }),
      200,
    );
    const jobs = t.services;
    const run = () => jobs.sla();
    assert.deepEqual(await run(), { warned: 0, breached: 0 });
    clock.advance(26 * 60_000);
    assert.deepEqual(await run(), { warned: 1, breached: 0 });
    assert.deepEqual(await run(), { warned: 0, breached: 0 });
    clock.advance(5 * 60_000);
    const racing = await Promise.all([run(), run(), run()]);
    assert.equal(racing.reduce((n, r) => n + r.breached, 0), 1, "one breach, however many run");
    const after = await expectStatus(
      t.call("GET", `/api/v1/queries/${q.id}`, { token: desk.token.Admin }),
      200,
    );
    assert.equal(after.breached, true);
    assert.equal(after.firstResponseBreachedAt, "2026-06-01T09:31:00.000Z");
    const history = await expectStatus(
      t.call("GET", `/api/v1/queries/${q.id}/history`, { token: desk.token.Admin }),
      200,
    );
    assert.deepEqual(
      history.data.map((e: { action: string }) => e.action).filter((a: string) =>
        a.startsWith("sla")
      ),
      ["sla-warning", "sla-breach"],
    );
    const tlInbox = await expectStatus(
      t.call("GET", "/api/v1/notifications", { token: desk.token.TL }),
      200,
    );
    assert.equal(tlInbox.data[0].type, "sla-breach");
    const breached = await expectStatus(
      t.call("GET", "/api/v1/queries?breached=true", { token: desk.token.Admin }),
      200,
    );
    assert.deepEqual(breached.data.map((x: { id: string }) => x.id), [q.id]);
    const pausedAfter = await expectStatus(
      t.call("GET", `/api/v1/queries/${paused.id}`, { token: desk.token.Admin }),
      200,
    );
    assert.equal(pausedAfter.breached, false, "the clock stops while waiting on the customer");
    const resumed = await expectStatus(
      t.call("PUT", `/api/v1/queries/${paused.id}`, {
        token: agent.token,
        json: { waitingOn: "agent" },
      }),
      200,
    );
    assert.equal(resumed.firstResponseDueAt, "2026-06-01T10:01:00.000Z", "moved on by 31 minutes");
    const dueSoon = await expectStatus(
      t.call("GET", "/api/v1/queries?dueWithinMinutes=31", { token: desk.token.Admin }),
      200,
    );
    assert.deepEqual(dueSoon.data.map((x: { id: string }) => x.id), [paused.id]);
  } finally {
    await t.close();
  }
});
