import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { serve, testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, type Desk, expectStatus } from "@tests/helpers/support.ts";
import { connect } from "@tests/helpers/ws.ts";
import { hmacHex } from "@/modules/widget/inboxes.ts";

const site = "https://shop.example";

async function anInbox(desk: Desk, extra: Record<string, unknown> = {}) {
  return await expectStatus(
    desk.t.call("POST", "/api/v1/inboxes/web", {
      token: desk.token.Admin,
      json: { name: "Shop", allowedOrigins: [site], ...extra },
    }),
    201,
  );
}

function startSession(desk: Desk, json: Record<string, unknown>, origin: string | null = site) {
  return desk.t.call("POST", "/api/v1/widget/sessions", {
    json,
    headers: origin ? { origin } : {},
  });
}

/** A visitor's call, from the site's page. */
function asVisitor(desk: Desk, token: string, method: string, path: string, json?: unknown) {
  return desk.t.call(method, path, {
    token,
    headers: { origin: site },
    ...(json === undefined ? {} : { json }),
  });
}

Deno.test("POST /widget/sessions: from an allowed origin only; the inbox's pre-chat rules apply", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const inbox = await anInbox(desk, { preChat: { name: "required", email: "off" } });
    const websiteToken = inbox.websiteToken;
    for (const origin of ["https://evil.example", null]) {
      const res = await startSession(desk, { websiteToken, name: "Ann" }, origin);
      assert.equal(res.status, 403, String(origin));
      await res.body?.cancel();
    }
    await expectStatus(startSession(desk, { websiteToken: "ccw_x_y_z", name: "Ann" }), 404);
    const settings = `/api/v1/widget/settings?websiteToken=${websiteToken}`;
    const shown = await expectStatus(t.call("GET", settings, { headers: { origin: site } }), 200);
    assert.deepEqual(shown.preChat, { name: "required", email: "off" });
    assert.equal(shown.hmacSecret, undefined);
    await expectStatus(
      t.call("GET", settings, { headers: { origin: "https://evil.example" } }),
      403,
    );
    await expectStatus(startSession(desk, { websiteToken }), 400);
    const made = await expectStatus(
      startSession(desk, { websiteToken, name: "Ann", email: "ann@example.com" }),
      201,
    );
    assert.match(made.visitorToken, /^ccv_/);
    assert.equal(made.name, "Ann");
    assert.equal(made.resumed, false);
    assert.deepEqual(made.inbox.preChat, { name: "required", email: "off" });
    const contact = await t.deps.store.users.findById(desk.org.id, made.contactId);
    assert.equal(contact?.role, "Customer");
    assert.equal(contact?.passwordHash, null);
    assert.ok(contact?.email.endsWith("@visitors.invalid"), "email is off for this inbox");
    const stored = await t.deps.store.documents("web_visitors").find(desk.org.id, {
      sort: [],
      page: { page: 1, limit: 10 },
    });
    assert.ok(!JSON.stringify(stored).includes(made.visitorToken.slice(-64)), "stored hashed");

    const again = await expectStatus(
      startSession(desk, { websiteToken, visitorToken: made.visitorToken }),
      201,
    );
    assert.equal(again.contactId, made.contactId);
    assert.equal(again.visitorToken, made.visitorToken);
    assert.equal(again.resumed, true);
  } finally {
    await t.close();
  }
});

Deno.test("a visitor chats in its own conversation over REST and /ws, never sees notes", async () => {
  const t = await testApp();
  const server = serve(t.app);
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk, {
      name: "Alice Agent",
      skills: [{ name: "billing", level: 3 }],
    });
    const inbox = await anInbox(desk, { routeTo: { skill: "billing" } });
    const visitor = await expectStatus(
      startSession(desk, { websiteToken: inbox.websiteToken, name: "Ann" }),
      201,
    );
    const token = visitor.visitorToken;
    const opened = await expectStatus(
      asVisitor(desk, token, "POST", "/api/v1/widget/conversations", {
        message: "Where is my order?",
      }),
      201,
    );
    assert.equal(opened.title, "Where is my order?");
    assert.equal(opened.agentName, "Alice Agent");
    const query = await t.deps.store.queries.findById(desk.org.id, opened.id);
    assert.equal(query?.source, "Chat");
    assert.equal(query?.skill, "billing");
    assert.equal(query?.customerId, visitor.contactId);

    const socket = await connect(server.wsUrl, token);
    await socket.request("join-room", { roomId: opened.roomId, sinceSeq: 0 });
    const room = `/api/v1/chat/rooms/${opened.roomId}`;
    await expectStatus(
      t.call("POST", `${room}/messages`, {
        token: agent.token,
        json: { message: "Secret: refund them", type: "note" },
      }),
      201,
    );
    await expectStatus(
      t.call("POST", `${room}/messages`, { token: agent.token, json: { message: "On its way!" } }),
      201,
    );
    const live = await socket.next(
      "message-received",
      (d) => (d.message as { text: string }).text === "On its way!",
    );
    assert.equal((live.data.message as { senderId: string }).senderId, agent.user.id);
    const history = await expectStatus(asVisitor(desk, token, "GET", `${room}/messages`), 200);
    const texts = history.data.map((m: { text: string }) => m.text);
    assert.equal(texts.filter((x: string) => x === "Where is my order?").length, 1);
    assert.ok(texts.includes("On its way!"));
    assert.ok(!JSON.stringify(history).includes("Secret"), "a note never reaches a visitor");
    assert.ok(!socket.frames.some((f) => JSON.stringify(f).includes("Secret")));
    const agentSocket = await connect(server.wsUrl, agent.token);
    await agentSocket.request("join-room", { roomId: opened.roomId, sinceSeq: 0 });
    await socket.request("typing", { roomId: opened.roomId, isTyping: true });
    const typing = await agentSocket.next("user-typing", (d) => d.userId === visitor.contactId);
    assert.equal(typing.data.isTyping, true);
    await agentSocket.close();
    await socket.request("send-message", { roomId: opened.roomId, message: "Thanks" });
    await expectStatus(asVisitor(desk, token, "PUT", `${room}/read`, { seq: 1 }), 200);

    const list = await expectStatus(
      asVisitor(desk, token, "GET", "/api/v1/widget/conversations"),
      200,
    );
    assert.deepEqual(list.data.map((c: { id: string }) => c.id), [opened.id]);
    await socket.close();
  } finally {
    await t.close();
    await server.close();
  }
});

Deno.test("a visitor token reaches nothing else: staff routes 403, another visitor's room 404, other origins 403", async () => {
  const t = await testApp();
  const server = serve(t.app);
  try {
    const desk = await aDesk(t);
    const inbox = await anInbox(desk);
    const start = async () =>
      (await expectStatus(startSession(desk, { websiteToken: inbox.websiteToken }), 201))
        .visitorToken as string;
    const mine = await start();
    const theirs = await start();
    const other = await expectStatus(
      asVisitor(desk, theirs, "POST", "/api/v1/widget/conversations", { message: "Mine only" }),
      201,
    );
    const room = `/api/v1/chat/rooms/${other.roomId}`;
    for (
      const [method, path] of [["GET", `${room}/messages`], ["GET", `/api/v1/queries/${other.id}`]]
    ) {
      const res = await asVisitor(desk, mine, method!, path!);
      assert.equal(res.status, 404, `${method} ${path}`);
      await res.body?.cancel();
    }
    const res = await asVisitor(desk, mine, "POST", `${room}/messages`, { message: "hijack" });
    assert.equal(res.status, 404);
    await res.body?.cancel();
    for (
      const path of [
        "/api/v1/queries",
        "/api/v1/contacts",
        "/api/v1/auth/me",
        "/api/v1/admin/agents",
        "/api/v1/notifications",
        "/api/v1/inboxes/web",
        "/api/v1/chat/rooms",
        "/api/v1/reports/dashboard",
      ]
    ) {
      const res = await asVisitor(desk, mine, "GET", path);
      assert.equal(res.status, 403, path);
      await res.body?.cancel();
    }
    const foreign = await t.call("GET", "/api/v1/widget/conversations", {
      token: mine,
      headers: { origin: "https://evil.example" },
    });
    assert.equal(foreign.status, 403);
    await foreign.body?.cancel();
    // Staff and customers are not visitors: the widget's own routes refuse them.
    await expectStatus(
      t.call("GET", "/api/v1/widget/conversations", { token: desk.token.Customer }),
      403,
    );
    // Another organization's query room is as unknown as a missing one.
    const elsewhere = await aDesk(t);
    const bInbox = await anInbox(elsewhere);
    const bVisitor = await expectStatus(
      startSession(elsewhere, { websiteToken: bInbox.websiteToken }),
      201,
    );
    const bOpened = await expectStatus(
      asVisitor(elsewhere, bVisitor.visitorToken, "POST", "/api/v1/widget/conversations", {
        message: "B's secret",
      }),
      201,
    );
    for (
      const path of [
        `/api/v1/chat/rooms/${bOpened.roomId}/messages`,
        `/api/v1/queries/${bOpened.id}`,
      ]
    ) {
      const res = await asVisitor(desk, mine, "GET", path);
      assert.equal(res.status, 404, path);
      assert.ok(!(await res.text()).includes("B's secret"));
    }
    const socket = await connect(server.wsUrl, mine);
    await assert.rejects(
      socket.request("join-room", { roomId: bOpened.roomId, sinceSeq: 0 }),
      /NOT_FOUND/,
    );
    await assert.rejects(
      socket.request("join-room", { roomId: other.roomId, sinceSeq: 0 }),
      /NOT_FOUND/,
    );
    await socket.close();

    // Ended: the token stops working at once; a removed inbox ends its visitors too.
    await expectStatus(asVisitor(desk, mine, "DELETE", "/api/v1/widget/sessions/current"), 204);
    await expectStatus(asVisitor(desk, mine, "GET", "/api/v1/widget/conversations"), 401);
    await expectStatus(
      t.call("DELETE", `/api/v1/inboxes/web/${inbox.id}`, { token: desk.token.Admin }),
      204,
    );
    await expectStatus(asVisitor(desk, theirs, "GET", "/api/v1/widget/conversations"), 401);
  } finally {
    await t.close();
    await server.close();
  }
});

Deno.test("identity: an unverified email makes a new contact; a verified identifier resumes the earlier conversations", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const inbox = await anInbox(desk);
    const websiteToken = inbox.websiteToken;
    const existing = desk.users.Customer;
    const typed = await expectStatus(
      startSession(desk, { websiteToken, name: "Mallory", email: existing.email }),
      201,
    );
    assert.notEqual(typed.contactId, existing.id, "typing an address never joins its contact");
    const made = await t.deps.store.users.findById(desk.org.id, typed.contactId);
    assert.notEqual(made?.email, existing.email.toLowerCase());
    const list = await expectStatus(
      asVisitor(desk, typed.visitorToken, "GET", "/api/v1/widget/conversations"),
      200,
    );
    assert.equal(list.meta.total, 0);

    const identifierHash = await hmacHex(inbox.hmacSecret, "user-42");
    await expectStatus(
      startSession(desk, { websiteToken, identifier: "user-42", identifierHash: "0".repeat(64) }),
      403,
    );
    const first = await expectStatus(
      startSession(desk, { websiteToken, name: "Bob", identifier: "user-42", identifierHash }),
      201,
    );
    const opened = await expectStatus(
      asVisitor(desk, first.visitorToken, "POST", "/api/v1/widget/conversations", {
        message: "Hello from my laptop",
      }),
      201,
    );
    // Another device, no stored token: the verified identifier finds Bob and his conversation.
    const second = await expectStatus(
      startSession(desk, { websiteToken, identifier: "user-42", identifierHash }),
      201,
    );
    assert.equal(second.contactId, first.contactId);
    assert.notEqual(second.visitorToken, first.visitorToken);
    assert.equal(second.resumed, true);
    const theirs = await expectStatus(
      asVisitor(desk, second.visitorToken, "GET", "/api/v1/widget/conversations"),
      200,
    );
    assert.deepEqual(theirs.data.map((c: { id: string }) => c.id), [opened.id]);
    // A stored token of someone else plus a verified identifier: the identifier wins.
    const switched = await expectStatus(
      startSession(desk, {
        websiteToken,
        visitorToken: typed.visitorToken,
        identifier: "user-42",
        identifierHash,
      }),
      201,
    );
    assert.equal(switched.contactId, first.contactId);
  } finally {
    await t.close();
  }
});

Deno.test("GET /widget/settings says whether the desk is open now, by the organization's business hours", async () => {
  // A Monday at 20:00 in Berlin: after the desk's 09:00–17:00.
  const clock = fixedClock("2026-06-01T18:00:00.000Z");
  const t = await testApp({ clock });
  try {
    const desk = await aDesk(t);
    const inbox = await anInbox(desk, { outOfHoursMessage: "We answer from 9 to 5" });
    const settings = `/api/v1/widget/settings?websiteToken=${inbox.websiteToken}`;
    const read = () => expectStatus(t.call("GET", settings, { headers: { origin: site } }), 200);
    assert.equal((await read()).open, true, "without business hours the desk is always open");
    const hours = [{ from: "09:00", to: "17:00" }];
    await expectStatus(
      t.call("PUT", "/api/v1/business-hours", {
        token: desk.token.Admin,
        json: {
          timezone: "Europe/Berlin",
          weekly: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours },
          exceptions: [],
          outOfHoursReply: null,
        },
      }),
      200,
    );
    const closed = await read();
    assert.equal(closed.open, false);
    assert.equal(closed.outOfHoursMessage, "We answer from 9 to 5");
    clock.set("2026-06-01T08:00:00.000Z"); // 10:00 in Berlin
    assert.equal((await read()).open, true);
  } finally {
    await t.close();
  }
});

Deno.test("GET /widget/settings of an inbox routed to a team with its own hours says open by the team's hours", async () => {
  // A Monday at 20:00 in Berlin (the organization: closed) is 14:00 in New York (the team: open).
  const clock = fixedClock("2026-06-01T18:00:00.000Z");
  const t = await testApp({ clock });
  try {
    const desk = await aDesk(t);
    const hours = [{ from: "09:00", to: "17:00" }];
    const weekdays = { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours };
    const admin = (method: string, path: string, json: unknown) =>
      t.call(method, `/api/v1${path}`, { token: desk.token.Admin, json });
    await expectStatus(
      admin("PUT", "/business-hours", {
        timezone: "Europe/Berlin",
        weekly: weekdays,
        exceptions: [],
        outOfHoursReply: null,
      }),
      200,
    );
    const team = await expectStatus(
      admin("POST", "/teams", {
        name: "Americas",
        businessHours: {
          timezone: "America/New_York",
          weekly: weekdays,
          exceptions: [],
          outOfHoursReply: null,
        },
      }),
      201,
    );
    const plain = await anInbox(desk);
    const routed = await anInbox(desk, { name: "US shop", routeTo: { teamId: team.id } });
    const open = async (inbox: { websiteToken: string }) =>
      (await expectStatus(
        t.call("GET", `/api/v1/widget/settings?websiteToken=${inbox.websiteToken}`, {
          headers: { origin: site },
        }),
        200,
      )).open;
    assert.equal(await open(plain), false, "the organization's hours");
    assert.equal(await open(routed), true, "the team's hours");
  } finally {
    await t.close();
  }
});
