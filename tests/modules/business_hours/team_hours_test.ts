import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { testApp } from "@tests/helpers/app.ts";
import { login } from "@tests/helpers/identity.ts";
import { aDesk, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";

const nineToFive = [{ from: "09:00", to: "17:00" }];
const week = (days: string[]) => Object.fromEntries(days.map((d) => [d, nineToFive]));
/** The organization: Berlin, Monday to Saturday. */
const berlin = {
  timezone: "Europe/Berlin",
  weekly: week(["mon", "tue", "wed", "thu", "fri", "sat"]),
  exceptions: [],
  outOfHoursReply: "Berlin is closed now.",
};
/** Its team "Americas": New York, Monday to Friday, its own reply. */
const newYork = {
  timezone: "America/New_York",
  weekly: week(["mon", "tue", "wed", "thu", "fri"]),
  exceptions: [{ date: "2026-03-10", name: "Offsite", hours: [{ from: "13:00", to: "17:00" }] }],
  outOfHoursReply: "New York opens at 09:00.",
};

/** Medium targets (60 min first response, 8 h resolution) count business time. */
async function aTwoZoneDesk(start: string) {
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
  const team = await expectStatus(
    t.call("POST", "/api/v1/teams", {
      token: desk.token.Admin,
      json: { name: "Americas", businessHours: newYork },
    }),
    201,
  );
  const open = (withTeam: boolean) =>
    openQuery(
      desk,
      { customerId: desk.users.Customer.id, ...(withTeam ? { team: team.id } : {}) },
      desk.token.Admin,
    );
  return { clock, t, desk, team, open };
}

const texts = async (desk: Desk, roomId: string) =>
  (await expectStatus(
    desk.t.call("GET", `/api/v1/chat/rooms/${roomId}/messages`, { token: desk.token.Customer }),
    200,
  )).data.map((m: { text: string }) => m.text);

Deno.test("/teams: a team keeps its own business hours (validated like the organization's), shown and cleared", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const call = (method: string, path: string, json?: unknown, token = desk.token.Admin) =>
      t.call(method, `/api/v1/teams${path}`, { token, ...(json ? { json } : {}) });
    const team = await expectStatus(call("POST", "", { name: "Americas" }), 201);
    assert.equal(team.businessHours, null, "none of its own: the organization's apply");
    await expectStatus(
      call("PUT", `/${team.id}`, { businessHours: { ...newYork, timezone: "Mars/Olympus" } }),
      400,
    );
    await expectStatus(
      call("PUT", `/${team.id}`, {
        businessHours: { ...newYork, weekly: { mon: [{ from: "17:00", to: "09:00" }] } },
      }),
      400,
    );
    assert.equal((await expectStatus(call("GET", `/${team.id}`), 200)).businessHours, null);
    await expectStatus(call("PUT", `/${team.id}`, { businessHours: newYork }), 200);
    const read = await expectStatus(call("GET", `/${team.id}`, undefined, desk.token.Agent), 200);
    assert.deepEqual(read.businessHours, newYork);
    const cleared = await expectStatus(call("PUT", `/${team.id}`, { businessHours: null }), 200);
    assert.equal(cleared.businessHours, null);
  } finally {
    await t.close();
  }
});

Deno.test("a team's own hours in another zone drive its queries' business-time targets across New York's spring-forward; the SLA job and filters follow", async () => {
  // Friday 6 March 2026, 16:30 in New York (EST, UTC-5): the team is open until 17:00, while
  // Berlin (22:30 CET) is closed. New York springs forward on Sunday 8 March; Berlin not yet.
  const { clock, t, desk, open } = await aTwoZoneDesk("2026-03-06T21:30:00.000Z");
  try {
    const q = await open(true);
    // 30 minutes on Friday, then 30 from Monday 09:00 EDT (13:00 UTC, an hour earlier in UTC
    // than the Friday's 09:00 was).
    assert.equal(q.firstResponseDueAt, "2026-03-09T13:30:00.000Z");
    // 8 open hours: 0.5 on Friday, 7.5 on Monday (09:00–16:30 EDT).
    assert.equal(q.resolutionDueAt, "2026-03-09T20:30:00.000Z");
    assert.deepEqual(await texts(desk, q.roomId), [], "the team is open: no reply");
    // The same query without the team keeps Berlin's hours: Saturday 09:00 CET + 60 minutes.
    const plain = await open(false);
    assert.equal(plain.firstResponseDueAt, "2026-03-07T09:00:00.000Z");
    assert.deepEqual(await texts(desk, plain.roomId), [berlin.outOfHoursReply]);

    const ids = async (query: string) =>
      (await expectStatus(
        t.call("GET", `/api/v1/queries?${query}`, {
          token: await login(t, desk.users.Admin.email),
        }),
        200,
      )).data.map((x: { id: string }) => x.id);
    // Sunday: both of Berlin's query's targets were missed on Saturday; the team's query has
    // all its Monday time left.
    clock.set("2026-03-08T15:00:00.000Z");
    assert.equal((await t.services.sla()).breached, 2);
    assert.deepEqual(await ids("breached=true"), [plain.id]);
    // Monday 09:26 EDT: due within five minutes; 09:31: breached.
    clock.set("2026-03-09T13:26:00.000Z");
    assert.deepEqual(await ids("dueWithinMinutes=5"), [q.id]);
    clock.set("2026-03-09T13:31:00.000Z");
    assert.equal((await t.services.sla()).breached, 1);
    assert.deepEqual((await ids("breached=true")).sort(), [q.id, plain.id].sort());
  } finally {
    await t.close();
  }
});

Deno.test("a team query arriving outside the team's hours gets the team's reply while the organization is open; its target waits for the team's next opening", async () => {
  // Saturday 7 March 2026, 10:00 in Berlin (open); New York is closed until Monday.
  const { t, desk, team, open } = await aTwoZoneDesk("2026-03-07T09:00:00.000Z");
  try {
    const q = await open(true);
    assert.deepEqual(await texts(desk, q.roomId), [newYork.outOfHoursReply]);
    // Monday 9 March, 09:00 EDT (after the clock change) is 13:00 UTC.
    assert.equal(q.firstResponseDueAt, "2026-03-09T14:00:00.000Z");
    const plain = await open(false);
    assert.deepEqual(await texts(desk, plain.roomId), [], "Berlin is open");
    // Without a reply of its own, the team's closed hours use the organization's reply.
    await expectStatus(
      t.call("PUT", `/api/v1/teams/${team.id}`, {
        token: desk.token.Admin,
        json: { businessHours: { ...newYork, outOfHoursReply: null } },
      }),
      200,
    );
    const again = await open(true);
    assert.deepEqual(await texts(desk, again.roomId), [berlin.outOfHoursReply]);
  } finally {
    await t.close();
  }
});

Deno.test("a query moved to a team with its own hours (PUT, transfer or macro) keeps the open time its business-time targets had left, on the team's clock; also by a macro", async () => {
  // Friday 6 March 2026, 21:30 UTC: Berlin closed until Saturday 09:00 CET, New York open until
  // 17:00 EST (22:00 UTC) and then closed until Monday 09:00 EDT, after its clock change.
  const { t, desk, team, open } = await aTwoZoneDesk("2026-03-06T21:30:00.000Z");
  try {
    const q = await open(false);
    assert.equal(q.firstResponseDueAt, "2026-03-07T09:00:00.000Z", "Berlin: all 60 minutes left");
    assert.equal(q.resolutionDueAt, "2026-03-07T16:00:00.000Z");
    const moved = await expectStatus(
      t.call("PUT", `/api/v1/queries/${q.id}`, {
        token: desk.token.Admin,
        json: { team: team.id },
      }),
      200,
    );
    // 30 minutes this Friday evening in New York, 30 on Monday from 09:00 EDT.
    assert.equal(moved.firstResponseDueAt, "2026-03-09T13:30:00.000Z");
    assert.equal(moved.resolutionDueAt, "2026-03-09T20:30:00.000Z");
    // A team of no hours of its own keeps the organization's.
    const europe = await expectStatus(
      t.call("POST", "/api/v1/teams", { token: desk.token.Admin, json: { name: "Europe" } }),
      201,
    );
    const back = await expectStatus(
      t.call("POST", `/api/v1/queries/${q.id}/transfer`, {
        token: desk.token.TL,
        json: { toTeam: europe.id, reason: "Berlin takes it" },
      }),
      200,
    );
    assert.equal(back.team, europe.id);
    assert.equal(back.firstResponseDueAt, "2026-03-07T09:00:00.000Z", "the 60 minutes again");
    assert.equal(back.resolutionDueAt, "2026-03-07T16:00:00.000Z");
    // A macro's team step moves the clock the same way.
    const macro = await expectStatus(
      t.call("POST", "/api/v1/macros", {
        token: desk.token.Admin,
        json: {
          name: "To the Americas",
          visibility: "organization",
          steps: [{ type: "team", team: team.id }],
        },
      }),
      201,
    );
    const ran = await expectStatus(
      t.call("POST", `/api/v1/queries/${q.id}/macros/${macro.id}`, { token: desk.token.Admin }),
      200,
    );
    assert.deepEqual(
      [ran.team, ran.firstResponseDueAt, ran.resolutionDueAt],
      [team.id, "2026-03-09T13:30:00.000Z", "2026-03-09T20:30:00.000Z"],
    );
  } finally {
    await t.close();
  }
});
