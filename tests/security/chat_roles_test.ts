import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { connect } from "@tests/helpers/ws.ts";
import { newUser } from "@/modules/users/repository.ts";

/** The smallest PNG there is, so upload checks see a real image. */
const png = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (ch) => ch.charCodeAt(0),
);

function pngForm() {
  const form = new FormData();
  form.set("file", new File([png], "dot.png", { type: "image/png" }));
  return form;
}

Deno.test("QA reads chat but may not upload, open direct rooms or send typing", async () => {
  const t = await testApp();
  const server = serve(t.app);
  const desk = await aDesk(t);
  await anAgent(desk);
  const query = await openQuery(desk);
  const qa = await connect(server.wsUrl, desk.token.QA);
  try {
    const rooms = await expectStatus(
      t.call("GET", "/api/v1/chat/rooms", { token: desk.token.QA }),
      200,
    );
    assert.ok(rooms.data.some((r: { id: string }) => r.id === query.roomId));
    // An upload and a direct room: refused to QA, made for a TL.
    const write = async (token: string, status: number) => {
      await expectStatus(
        t.call("POST", `/api/v1/chat/rooms/${query.roomId}/files`, { token, body: pngForm() }),
        status,
      );
      await expectStatus(
        t.call("POST", "/api/v1/chat/rooms", { token, json: { members: [desk.users.Admin.id] } }),
        status,
      );
    };
    await write(desk.token.QA, 403);
    await qa.request("join-room", { roomId: query.roomId });
    await assert.rejects(
      qa.request("typing", { roomId: query.roomId, isTyping: true }),
      (err: { code?: string }) => err.code === "FORBIDDEN",
    );
    await write(desk.token.TL, 201);
  } finally {
    await qa.close();
    await t.close();
    await server.close();
  }
});

Deno.test("call-user: a customer rings only the staff on their own queries", async () => {
  const t = await testApp();
  const server = serve(t.app);
  const desk = await aDesk(t);
  const customer = await connect(server.wsUrl, desk.token.Customer);
  try {
    const offer = { type: "offer", sdp: "v=0" };
    for (const role of ["Admin", "TL", "Agent"] as const) {
      await assert.rejects(
        customer.request("call-user", { to: desk.users[role].id, offer }),
        (err: { code?: string }) => err.code === "FORBIDDEN",
        `a customer without a query rang the ${role}`,
      );
    }
    const agent = await anAgent(desk);
    const query = await openQuery(desk);
    assert.equal(query.assignedTo, agent.user.id);
    const ringing = await customer.request("call-user", { to: agent.user.id, offer });
    assert.equal(ringing.status, "ringing");
    await customer.request("end-call", { callId: ringing.callId });
    // The Admin is on none of the customer's queries: still refused.
    await assert.rejects(
      customer.request("call-user", { to: desk.users.Admin.id, offer }),
      (err: { code?: string }) => err.code === "FORBIDDEN",
    );
    // Supervisors may call a customer who has a query with them.
    const admin = await connect(server.wsUrl, desk.token.Admin);
    try {
      const call = await admin.request("call-user", { to: desk.users.Customer.id, offer });
      assert.equal(call.status, "ringing");
    } finally {
      await admin.close();
    }
  } finally {
    await customer.close();
    await t.close();
    await server.close();
  }
});

Deno.test("GET /presence/{id}: a customer sees only the staff on their own queries", async () => {
  const t = await testApp();
  const desk = await aDesk(t);
  const other = await aDesk(t);
  try {
    const agent = await anAgent(desk);
    const bystander = await anAgent(desk, { ready: false });
    await openQuery(desk);
    const token = desk.token.Customer;
    await expectStatus(t.call("GET", `/api/v1/presence/${agent.user.id}`, { token }), 200);
    await expectStatus(t.call("GET", `/api/v1/presence/${bystander.user.id}`, { token }), 404);
    await expectStatus(t.call("GET", `/api/v1/presence/${desk.users.Admin.id}`, { token }), 404);
    await expectStatus(t.call("GET", `/api/v1/presence/${desk.users.Customer.id}`, { token }), 200);
    // Another customer of the same organization is nobody this customer works with.
    const second = await t.deps.store.users.create(newUser({
      id: t.deps.ids.next(),
      organizationId: desk.org.id,
      name: "Second Customer",
      email: `second-${t.deps.ids.next()}@example.com`,
      passwordHash: "unused",
      role: "Customer",
      maxConcurrentQueries: 0,
      createdAt: t.deps.clock.now().toISOString(),
    }));
    const registered = { user: second };
    await expectStatus(
      t.call("GET", `/api/v1/presence/${registered.user.id}`, { token }),
      404,
    );
    // Staff still see everyone of their organization, and nobody of another.
    await expectStatus(
      t.call("GET", `/api/v1/presence/${registered.user.id}`, { token: desk.token.Agent }),
      200,
    );
    await expectStatus(
      t.call("GET", `/api/v1/presence/${other.users.Agent.id}`, { token: desk.token.Admin }),
      404,
    );
  } finally {
    await t.close();
  }
});
