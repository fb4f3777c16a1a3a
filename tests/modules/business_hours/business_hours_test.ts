import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { testApp } from "@tests/helpers/app.ts";
import { login } from "@tests/helpers/identity.ts";
import { aDesk, anAgent, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";

const nineToFive = [{ from: "09:00", to: "17:00" }];
const berlin = {
  timezone: "Europe/Berlin",
  weekly: {
    mon: nineToFive,
    tue: nineToFive,
    wed: nineToFive,
    thu: nineToFive,
    fri: nineToFive,
    sat: nineToFive,
  },
  exceptions: [{ date: "2026-10-26", name: "Closed for training", hours: [] }],
  outOfHoursReply: "We are closed now; we answer from 09:00 (Berlin time).",
};

/** A desk whose Medium targets (60 min first response, 8 h resolution) count business time. */
async function aBusinessDesk(start: string) {
  const clock = fixedClock(start);
  const t = await testApp({ clock });
  const desk = await aDesk(t, {
    sla: {
      Low: { firstResponseMinutes: 60, resolutionMinutes: 600 },
      Medium: { firstResponseMinutes: 60, resolutionMinutes: 480, businessHoursOnly: true },
      High: { firstResponseMinutes: 20, resolutionMinutes: 60 },
      Urgent: { firstResponseMinutes: 10, resolutionMinutes: 30 },
    },
    slaWarnMinutes: 5,
  });
  await expectStatus(
    t.call("PUT", "/api/v1/business-hours", { token: desk.token.Admin, json: berlin }),
    200,
  );
  return { clock, t, desk };
}

const messages = async (desk: Desk, roomId: string) =>
  (await expectStatus(
    desk.t.call("GET", `/api/v1/chat/rooms/${roomId}/messages`, { token: desk.token.Customer }),
    200,
  )).data.map((m: { text: string; type: string }) => `${m.type}: ${m.text}`);

Deno.test("/business-hours: staff read them, Admins set and clear them, bad zones and times are refused", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const get = () => t.call("GET", "/api/v1/business-hours", { token: desk.token.Agent });
    assert.deepEqual(await expectStatus(get(), 200), { businessHours: null });
    const put = (json: unknown, token = desk.token.Admin) =>
      t.call("PUT", "/api/v1/business-hours", { token, json });
    await expectStatus(put(berlin, desk.token.TL), 403);
    await expectStatus(put({ ...berlin, timezone: "Mars/Olympus" }), 400);
    await expectStatus(put({ ...berlin, weekly: { mon: [{ from: "17:00", to: "09:00" }] } }), 400);
    await expectStatus(put({ ...berlin, weekly: { mon: [{ from: "9am", to: "17:00" }] } }), 400);
    await expectStatus(put({ ...berlin, exceptions: [{ date: "2026-13-40", hours: [] }] }), 400);
    await expectStatus(put(berlin), 200);
    assert.deepEqual((await expectStatus(get(), 200)).businessHours, berlin);
    await expectStatus(
      t.call("DELETE", "/api/v1/business-hours", { token: desk.token.Admin }),
      200,
    );
    assert.deepEqual(await expectStatus(get(), 200), { businessHours: null });
  } finally {
    await t.close();
  }
});

Deno.test("a business-time target skips the closed Sunday of the spring-forward weekend; the SLA job and filters follow", async () => {
  // Saturday 28 March 2026, 16:30 in Berlin (CET): open until 17:00.
  const { clock, t, desk } = await aBusinessDesk("2026-03-28T15:30:00.000Z");
  try {
    await anAgent(desk);
    const q = await openQuery(desk);
    // 30 minutes on Saturday, then 30 from Monday 09:00 CEST (07:00 UTC).
    assert.equal(q.firstResponseDueAt, "2026-03-30T07:30:00.000Z");
    // 8 open hours: 0.5 on Saturday and 7.5 on Monday, 09:00–16:30 CEST.
    assert.equal(q.resolutionDueAt, "2026-03-30T14:30:00.000Z");
    const urgent = await openQuery(desk, { priority: "Urgent" });
    assert.equal(urgent.firstResponseDueAt, "2026-03-28T15:40:00.000Z", "calendar time");
    assert.ok(
      !(await messages(desk, q.roomId)).includes(`system: ${berlin.outOfHoursReply}`),
      "open: no out-of-hours reply",
    );
    // Sunday noon: two calendar hours past Saturday's 17:00, yet nothing of q is due.
    clock.set("2026-03-29T10:00:00.000Z");
    await t.services.sla();
    // A fresh login each time: the clock jumps past the tokens' lifetime.
    const list = async (query: string) =>
      expectStatus(
        t.call("GET", `/api/v1/queries?${query}`, {
          token: await login(t, desk.users.Admin.email),
        }),
        200,
      );
    const ids = async (query: string) => (await list(query)).data.map((x: { id: string }) => x.id);
    assert.deepEqual(await ids("breached=true"), [urgent.id]);
    assert.deepEqual(await ids("dueWithinMinutes=60"), []);
    // Monday 09:26 CEST: due within five minutes; 09:31: breached.
    clock.set("2026-03-30T07:26:00.000Z");
    assert.deepEqual(await ids("dueWithinMinutes=5"), [q.id]);
    clock.set("2026-03-30T07:31:00.000Z");
    const run = await t.services.sla();
    assert.equal(run.breached, 1);
    assert.deepEqual((await ids("breached=true")).sort(), [q.id, urgent.id].sort());
  } finally {
    await t.close();
  }
});

Deno.test("a query arriving out of hours gets the out-of-hours reply; its target starts at the next opening after a holiday and the autumn clock change", async () => {
  // Saturday 24 October 2026, 22:00 in Berlin (CEST); Sunday closed, Monday 26th a holiday.
  const { t, desk } = await aBusinessDesk("2026-10-24T20:00:00.000Z");
  try {
    const q = await openQuery(desk);
    assert.deepEqual(await messages(desk, q.roomId), [`system: ${berlin.outOfHoursReply}`]);
    const got = await expectStatus(
      t.call("GET", `/api/v1/queries/${q.id}`, { token: desk.token.Admin }),
      200,
    );
    assert.equal(got.firstResponseAt, null, "the automatic reply is no first response");
    // Tuesday 27th 09:00 CET is 08:00 UTC.
    assert.equal(q.firstResponseDueAt, "2026-10-27T09:00:00.000Z");
  } finally {
    await t.close();
  }
});

Deno.test("a business-time target paused while waiting on the customer resumes with the open time it had left", async () => {
  // Monday 30 March 2026, 10:00 in Berlin (CEST): first response due at 11:00.
  const { clock, t, desk } = await aBusinessDesk("2026-03-30T08:00:00.000Z");
  try {
    const agent = await anAgent(desk);
    const q = await openQuery(desk);
    assert.equal(q.firstResponseDueAt, "2026-03-30T09:00:00.000Z");
    clock.set("2026-03-30T08:30:00.000Z");
    await expectStatus(
      t.call("PUT", `/api/v1/queries/${q.id}`, {
        token: agent.token,
        json: { waitingOn: "customer" },
      }),
      200,
    );
    // The customer answers on Tuesday at 08:00, before opening: 30 open minutes were left.
    clock.set("2026-03-31T06:00:00.000Z");
    await expectStatus(
      t.call("POST", `/api/v1/chat/rooms/${q.roomId}/messages`, {
        token: await login(t, desk.users.Customer.email),
        json: { message: "Here is the screenshot" },
      }),
      201,
    );
    const got = await t.deps.store.queries.findById(desk.org.id, q.id);
    assert.equal(got!.slaPausedAt, null);
    assert.equal(got!.firstResponseDueAt, "2026-03-31T07:30:00.000Z", "09:30 CEST on Tuesday");
  } finally {
    await t.close();
  }
});
