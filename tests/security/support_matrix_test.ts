import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { connect } from "@tests/helpers/ws.ts";
import { onePixelPng } from "@tests/helpers/files.ts";

type T = Awaited<ReturnType<typeof testApp>>;

/** Tenant B's support objects: a routed query with its room, messages and file, and more. */
async function tenantB(t: T) {
  const b = await aDesk(t);
  const agent = await anAgent(b);
  const query = await openQuery(b);
  const message = await expectStatus(
    t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
      token: b.token.Customer,
      json: { message: "private to B" },
    }),
    201,
  );
  const form = new FormData();
  form.set("file", new File([onePixelPng], "b.png", { type: "image/png" }));
  const file = await expectStatus(
    t.call("POST", `/api/v1/chat/rooms/${query.roomId}/files`, {
      token: b.token.Customer,
      body: form,
    }),
    201,
  );
  const faq = await expectStatus(
    t.call("POST", "/api/v1/faq", { token: b.token.TL, json: { question: "B?", answer: "B!" } }),
    201,
  );
  const label = await expectStatus(
    t.call("POST", "/api/v1/labels", { token: b.token.Admin, json: { name: "B only" } }),
    201,
  );
  await expectStatus(
    t.call("PUT", `/api/v1/queries/${query.id}`, {
      token: b.token.Admin,
      json: { labels: [label.id] },
    }),
    200,
  );
  const team = await expectStatus(
    t.call("POST", "/api/v1/teams", {
      token: b.token.Admin,
      json: { name: "B team", members: [agent.user.id] },
    }),
    201,
  );
  await expectStatus(
    t.call("PUT", `/api/v1/queries/${query.id}`, { token: b.token.Admin, json: { team: team.id } }),
    200,
  );
  const macro = await expectStatus(
    t.call("POST", "/api/v1/macros", {
      token: b.token.Admin,
      json: {
        name: "B's macro",
        visibility: "organization",
        steps: [{ type: "labels", add: [label.id] }],
      },
    }),
    201,
  );
  const notes = await expectStatus(
    t.call("GET", "/api/v1/notifications", { token: agent.token }),
    200,
  );
  const call = await t.deps.store.documents("calls").insert({
    id: t.deps.ids.next(),
    organizationId: b.org.id,
    callerId: b.users.Customer.id,
    calleeId: agent.user.id,
    callType: "audio",
    status: "ended",
    outcome: "completed",
    startedAt: new Date().toISOString(),
    answeredAt: null,
    endedAt: null,
    durationSeconds: 0,
    snapshots: [],
  });
  const field = await expectStatus(
    t.call("POST", "/api/v1/custom-fields", {
      token: b.token.Admin,
      json: { key: "plan", label: "Plan", type: "text" },
    }),
    201,
  );
  const contact = await expectStatus(
    t.call("POST", "/api/v1/contacts", {
      token: b.token.TL,
      json: { name: "B's contact", email: "contact@b.test", customFields: { plan: "gold" } },
    }),
    201,
  );
  const webInbox = await expectStatus(
    t.call("POST", "/api/v1/inboxes/web", {
      token: b.token.Admin,
      json: { name: "B's site", allowedOrigins: ["https://b.example"] },
    }),
    201,
  );
  return {
    b,
    agent,
    ids: {
      webInbox: webInbox.id as string,
      websiteToken: webInbox.websiteToken as string,
      field: field.id as string,
      contact: contact.id as string,
      query: query.id as string,
      room: query.roomId as string,
      message: message.id as string,
      file: file.id as string,
      faq: faq.id as string,
      label: label.id as string,
      team: team.id as string,
      macro: macro.id as string,
      notification: notes.data[0].id as string,
      call: call.id,
      agent: agent.user.id,
      customer: b.users.Customer.id,
    },
  };
}

/** Everything of tenant B these routes could change. */
async function snapshot(t: T, b: Desk, roomId: string) {
  const org = b.org.id;
  const all = { page: 1, limit: 100 };
  const s = t.deps.store;
  const queries = await s.queries.list(org, {}, { field: "createdAt", order: "asc" }, all);
  return JSON.stringify({
    queries: queries.data,
    history: await Promise.all(queries.data.map((q) => s.queryHistory.list(org, q.id, all))),
    messages: await s.messages.list(org, roomId, { afterSeq: 0, limit: 100 }),
    states: await s.agentStates.list(org),
    org: await s.organizations.findById(org),
    labels: await s.labels.list(org, all),
    users: await s.users.list(org, { withMerged: true }, all),
    docs: await Promise.all(
      ([
        "notifications",
        "faq",
        "shifts",
        "rooms",
        "room_reads",
        "calls",
        "attachments",
        "macros",
        "custom_fields",
        "teams",
        "web_inboxes",
        "web_visitors",
        "web_identities",
      ] as const)
        .map((name) => s.documents(name).find(org, { sort: [], page: all })),
    ),
  });
}

function routesOnB(
  ids: Awaited<ReturnType<typeof tenantB>>["ids"],
  aAgentId: string,
  aCustomerId: string,
) {
  const q = `/api/v1/queries/${ids.query}`;
  const contact = `/api/v1/contacts/${ids.customer}`;
  const room = `/api/v1/chat/rooms/${ids.room}`;
  return [
    ["GET", q],
    ["PUT", q, { title: "pwned" }],
    ["PUT", `${q}/status`, { status: "In Progress" }],
    ["PUT", `${q}/priority`, { priority: "Urgent" }],
    ["PUT", `${q}/assign`, { assignedTo: ids.agent }],
    ["PUT", `${q}/assign`, { assignedTo: aAgentId }],
    ["POST", `${q}/transfer`, { toTeam: "x", reason: "pwned" }],
    ["GET", `${q}/history`],
    ["POST", `${q}/csat`, { rating: 1 }],
    ["PUT", `/api/v1/notifications/${ids.notification}/read`],
    ["GET", `/api/v1/faq/${ids.faq}`],
    ["PUT", `/api/v1/faq/${ids.faq}`, { answer: "pwned" }],
    ["DELETE", `/api/v1/faq/${ids.faq}`],
    ["GET", `/api/v1/labels/${ids.label}`],
    ["PUT", `/api/v1/labels/${ids.label}`, { name: "pwned" }],
    ["DELETE", `/api/v1/labels/${ids.label}`],
    ["GET", `/api/v1/teams/${ids.team}`],
    ["GET", `/api/v1/teams/${ids.team}/queue`],
    ["PUT", `/api/v1/teams/${ids.team}`, { name: "pwned", members: [aAgentId] }],
    ["DELETE", `/api/v1/teams/${ids.team}`],
    ["GET", `/api/v1/macros/${ids.macro}`],
    ["PUT", `/api/v1/macros/${ids.macro}`, { name: "pwned" }],
    ["DELETE", `/api/v1/macros/${ids.macro}`],
    ["POST", `${q}/macros/${ids.macro}`],
    ["GET", `${room}/messages`],
    ["POST", `${room}/messages`, { message: "pwned" }],
    ["PUT", `${room}/read`, { seq: 99 }],
    ["GET", `/api/v1/chat/files/${ids.file}`],
    ["POST", "/api/v1/chat/rooms", { queryId: ids.query }],
    ["GET", `/api/v1/presence/${ids.agent}`],
    ["GET", contact],
    ["PUT", contact, { name: "pwned", customFields: { plan: "free" } }],
    ["GET", `${contact}/queries`],
    ["GET", `${contact}/conversations`],
    ["POST", `${contact}/merge`, { otherId: ids.contact }],
    ["POST", `/api/v1/contacts/${aCustomerId}/merge`, { otherId: ids.contact }],
    ["GET", `${contact}/export`],
    ["DELETE", contact],
    ["DELETE", `/api/v1/contacts/${ids.contact}`],
    ["PUT", `/api/v1/custom-fields/${ids.field}`, { label: "pwned" }],
    ["DELETE", `/api/v1/custom-fields/${ids.field}`],
    ["GET", `/api/v1/inboxes/web/${ids.webInbox}`],
    ["PUT", `/api/v1/inboxes/web/${ids.webInbox}`, { allowedOrigins: ["https://evil.example"] }],
    ["DELETE", `/api/v1/inboxes/web/${ids.webInbox}`],
    // No page origin: refused before any visitor of B is made.
    ["POST", "/api/v1/widget/sessions", { websiteToken: ids.websiteToken, name: "x" }],
    ["GET", `/api/v1/widget/settings?websiteToken=${ids.websiteToken}`],
  ] as const;
}

/** Routes on the caller's own tenant, some with fields that try to name B. */
function ownRoutes(ids: Awaited<ReturnType<typeof tenantB>>["ids"]) {
  return [
    ["GET", `/api/v1/queries?customerId=${ids.customer}`],
    ["GET", `/api/v1/queries?assignedTo=${ids.agent}`],
    ["GET", "/api/v1/queries"],
    ["POST", "/api/v1/queries", { title: "x", description: "y", customerId: ids.customer }],
    ["GET", "/api/v1/notifications"],
    ["PUT", "/api/v1/notifications/read-all"],
    ["GET", "/api/v1/faq?q=B"],
    ["POST", "/api/v1/faq", { question: "A?", answer: "A!" }],
    ["GET", "/api/v1/labels"],
    ["GET", "/api/v1/teams"],
    ["GET", "/api/v1/business-hours"],
    ["GET", "/api/v1/search?q=private to B"],
    ["PUT", "/api/v1/business-hours", {
      timezone: "UTC",
      weekly: { mon: [{ from: "09:00", to: "17:00" }] },
      exceptions: [],
      outOfHoursReply: null,
    }],
    ["DELETE", "/api/v1/business-hours"],
    ["POST", "/api/v1/teams", { name: "B team", members: [ids.agent] }],
    ["GET", `/api/v1/queries?team=${ids.team}`],
    ["GET", "/api/v1/queries?team=B team"],
    ["POST", "/api/v1/queries", {
      title: "x",
      description: "y",
      customerId: ids.customer,
      team: ids.team,
    }],
    ["GET", "/api/v1/macros"],
    ["POST", "/api/v1/macros", {
      name: "x",
      visibility: "personal",
      steps: [{ type: "labels", add: [ids.label] }],
    }],
    ["POST", "/api/v1/labels", { name: "B only" }],
    ["GET", `/api/v1/queries?label=${ids.label}`],
    ["GET", "/api/v1/queries?label=B only"],
    ["POST", "/api/v1/queries", {
      title: "x",
      description: "y",
      customerId: ids.customer,
      labels: [ids.label],
    }],
    ["GET", `/api/v1/shifts?userId=${ids.agent}`],
    ["POST", "/api/v1/shifts/clock-in"],
    ["POST", "/api/v1/shifts/clock-out"],
    ["GET", "/api/v1/agents/status"],
    ["PUT", "/api/v1/agents/me/status", { status: "away" }],
    ["GET", "/api/v1/admin/support-settings"],
    [
      "PUT",
      "/api/v1/admin/support-settings",
      {
        routing: { policy: "manual", reassignMinutes: 5 },
        sla: Object.fromEntries(
          ["Low", "Medium", "High", "Urgent"].map((
            p,
          ) => [p, { firstResponseMinutes: 5, resolutionMinutes: 9 }]),
        ),
        slaWarnMinutes: 1,
      },
    ],
    ["GET", "/api/v1/chat/rooms"],
    ["POST", "/api/v1/chat/rooms", { members: [ids.agent] }],
    ["GET", "/api/v1/calls"],
    ["GET", "/api/v1/contacts?q=b.test"],
    ["GET", "/api/v1/contacts?field=plan:gold"],
    ["POST", "/api/v1/contacts", { name: "x", email: "contact@b.test" }],
    ["GET", "/api/v1/custom-fields"],
    ["POST", "/api/v1/custom-fields", { key: "plan", label: "Plan", type: "text" }],
    ["GET", "/api/v1/inboxes/web"],
    ["GET", "/api/v1/widget/conversations"],
    ["POST", "/api/v1/widget/conversations", { message: "x" }],
    ["DELETE", "/api/v1/widget/sessions/current"],
    ["POST", "/api/v1/inboxes/web", { name: "A's site", allowedOrigins: ["https://a.example"] }],
  ] as const;
}

/** The support operations this matrix covers (tags Queries, Routing, …). */
const covered = new Set([
  "get /api/v1/queries",
  "post /api/v1/queries",
  "get /api/v1/queries/{id}",
  "put /api/v1/queries/{id}",
  "put /api/v1/queries/{id}/status",
  "put /api/v1/queries/{id}/priority",
  "put /api/v1/queries/{id}/assign",
  "post /api/v1/queries/{id}/transfer",
  "get /api/v1/queries/{id}/history",
  "post /api/v1/queries/{id}/csat",
  "put /api/v1/agents/me/status",
  "get /api/v1/agents/status",
  "get /api/v1/admin/support-settings",
  "put /api/v1/admin/support-settings",
  "get /api/v1/notifications",
  "put /api/v1/notifications/read-all",
  "put /api/v1/notifications/{id}/read",
  "post /api/v1/shifts/clock-in",
  "post /api/v1/shifts/clock-out",
  "get /api/v1/shifts",
  "get /api/v1/faq",
  "post /api/v1/faq",
  "get /api/v1/faq/{id}",
  "put /api/v1/faq/{id}",
  "delete /api/v1/faq/{id}",
  "get /api/v1/labels",
  "post /api/v1/labels",
  "get /api/v1/labels/{id}",
  "put /api/v1/labels/{id}",
  "delete /api/v1/labels/{id}",
  "get /api/v1/teams",
  "get /api/v1/business-hours",
  "get /api/v1/search",
  "put /api/v1/business-hours",
  "delete /api/v1/business-hours",
  "post /api/v1/teams",
  "get /api/v1/teams/{id}",
  "get /api/v1/teams/{id}/queue",
  "put /api/v1/teams/{id}",
  "delete /api/v1/teams/{id}",
  "get /api/v1/macros",
  "post /api/v1/macros",
  "get /api/v1/macros/{id}",
  "put /api/v1/macros/{id}",
  "delete /api/v1/macros/{id}",
  "post /api/v1/queries/{id}/macros/{macroId}",
  "get /api/v1/chat/rooms",
  "post /api/v1/chat/rooms",
  "get /api/v1/chat/rooms/{roomId}/messages",
  "post /api/v1/chat/rooms/{roomId}/messages",
  "put /api/v1/chat/rooms/{roomId}/read",
  "post /api/v1/chat/rooms/{roomId}/files",
  "get /api/v1/chat/files/{fileId}",
  "get /api/v1/calls",
  "post /api/v1/calls/{callId}/snapshots",
  "get /api/v1/presence/{userId}",
  "get /api/v1/contacts",
  "post /api/v1/contacts",
  "get /api/v1/contacts/{id}",
  "put /api/v1/contacts/{id}",
  "delete /api/v1/contacts/{id}",
  "get /api/v1/contacts/{id}/queries",
  "get /api/v1/contacts/{id}/conversations",
  "post /api/v1/contacts/{id}/merge",
  "get /api/v1/contacts/{id}/export",
  "get /api/v1/custom-fields",
  "post /api/v1/custom-fields",
  "put /api/v1/custom-fields/{id}",
  "delete /api/v1/custom-fields/{id}",
  "get /api/v1/inboxes/web",
  "post /api/v1/inboxes/web",
  "get /api/v1/inboxes/web/{id}",
  "put /api/v1/inboxes/web/{id}",
  "delete /api/v1/inboxes/web/{id}",
  "post /api/v1/widget/sessions",
  "get /api/v1/widget/settings",
  "get /widget.js",
  "get /widget/demo",
  "get /api/v1/widget/conversations",
  "post /api/v1/widget/conversations",
  "delete /api/v1/widget/sessions/current",
]);

Deno.test("support matrix: every role of tenant A on tenant B's queries, rooms and more: 403/404, B unchanged", async () => {
  const t = await testApp();
  const server = serve(t.app);
  try {
    const a = await aDesk(t);
    const aAgent = await anAgent(a);
    const { b, ids } = await tenantB(t);
    const before = await snapshot(t, b, ids.room);
    const bIds = Object.values(ids);
    const tokens = { ...a.token, ExtraAgent: aAgent.token };
    for (const [role, token] of Object.entries(tokens)) {
      for (const [method, path, json] of routesOnB(ids, aAgent.user.id, a.users.Customer.id)) {
        const res = await t.call(method, path, { token, ...(json ? { json } : {}) });
        const text = await res.text();
        assert.ok(
          res.status === 403 || res.status === 404,
          `${role} ${method} ${path}: ${res.status} ${text}`,
        );
        for (const id of bIds) {
          assert.ok(
            !text.includes(id) || `${path} ${JSON.stringify(json ?? {})}`.includes(id),
            `${role} ${path} leaked ${id}`,
          );
        }
      }
      const snap = new FormData();
      snap.set("file", new File([new Uint8Array([1])], "s.png", { type: "image/png" }));
      const snapshotUpload = await t.call("POST", `/api/v1/calls/${ids.call}/snapshots`, {
        token,
        body: snap,
      });
      assert.equal(snapshotUpload.status, 404, `${role} snapshot on B's call`);
      await snapshotUpload.body?.cancel();
      for (const [method, path, json] of ownRoutes(ids)) {
        const res = await t.call(method, path, { token, ...(json ? { json } : {}) });
        const text = await res.text();
        assert.ok(res.status < 500, `${role} ${method} ${path}: ${res.status}`);
        const sent = `${path} ${JSON.stringify(json ?? {})}`;
        for (const id of bIds) {
          assert.ok(
            !text.includes(id) || sent.includes(id),
            `${role} ${method} ${path} leaked ${id}: ${text}`,
          );
        }
      }
      const socket = await connect(server.wsUrl, token);
      await assert.rejects(
        socket.request("join-room", { roomId: ids.room, sinceSeq: 0 }),
        /NOT_FOUND/,
      );
      await assert.rejects(
        socket.request("send-message", { roomId: ids.room, message: "x" }),
        /NOT_FOUND/,
      );
      await assert.rejects(
        socket.request("call-user", { to: ids.agent, offer: { type: "offer", sdp: "x" } }),
        /FORBIDDEN/,
      );
      assert.ok(
        !socket.frames.some((f) =>
          bIds.some((id) => JSON.stringify(f).includes(id) && f.event !== "error")
        ),
      );
      await socket.close();
    }
    assert.equal(await snapshot(t, b, ids.room), before, "tenant B is unchanged");
  } finally {
    await t.close();
    await server.close();
  }
});

Deno.test("support matrix: covers every support, chat and call route in /openapi.json", async () => {
  const t = await testApp();
  try {
    const doc = await (await t.call("GET", "/openapi.json")).json();
    const tags = new Set([
      "Queries",
      "Routing",
      "Notifications",
      "Shifts",
      "FAQ",
      "Chat",
      "Calls",
      "Labels",
      "Teams",
      "Business hours",
      "Search",
      "Macros",
      "Contacts",
      "Custom fields",
      "Web inboxes",
      "Web chat",
    ]);
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) {
      for (const [method, op] of Object.entries(ops as Record<string, { tags?: string[] }>)) {
        if (op.tags?.some((tag) => tags.has(tag)) && !covered.has(`${method} ${path}`)) {
          missing.push(`${method} ${path}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  } finally {
    await t.close();
  }
});

Deno.test("support matrix: another organization's label is refused on one's own queries (422), never listed", async () => {
  const t = await testApp();
  try {
    const a = await aDesk(t);
    const { ids } = await tenantB(t);
    const mine = await openQuery(a);
    const res = await t.call("PUT", `/api/v1/queries/${mine.id}`, {
      token: a.token.Admin,
      json: { labels: [ids.label] },
    });
    assert.equal(res.status, 422, await res.text());
    const byId = await expectStatus(
      t.call("GET", `/api/v1/queries?label=${ids.label}`, { token: a.token.Admin }),
      200,
    );
    assert.equal(byId.meta.total, 0);
    const run = await t.call("POST", `/api/v1/queries/${mine.id}/macros/${ids.macro}`, {
      token: a.token.Admin,
    });
    assert.equal(run.status, 404, "another organization's macro is not there to run");
    await run.body?.cancel();
    const labels = await expectStatus(
      t.call("GET", "/api/v1/labels", { token: a.token.Admin }),
      200,
    );
    assert.deepEqual(labels.data, []);
    const transfer = await t.call("POST", `/api/v1/queries/${mine.id}/transfer`, {
      token: a.token.TL,
      json: { toTeam: ids.team, reason: "to B" },
    });
    assert.equal(transfer.status, 422, "another organization's team is not there to take it");
    await transfer.body?.cancel();
    const teams = await expectStatus(t.call("GET", "/api/v1/teams", { token: a.token.Admin }), 200);
    assert.deepEqual(teams.data, []);
    const found = await expectStatus(
      t.call("GET", "/api/v1/search?q=private to B", { token: a.token.Admin }),
      200,
    );
    assert.equal(found.meta.total, 0, "another organization's messages are never found");
  } finally {
    await t.close();
  }
});
