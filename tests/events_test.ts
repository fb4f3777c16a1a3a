import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { type DomainEvent, eventNames } from "@/events.ts";
import { fixedClock } from "@/clock.ts";
import { createEvents } from "@/events.ts";
import { systemIds } from "@/ids.ts";

Deno.test("services emit domain events after their write, with organization, actor and time", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk);
    const seen: DomainEvent[] = [];
    const stored: Record<string, boolean> = {};
    t.services.events.on(eventNames, async (e) => {
      seen.push(e);
      // Write, then publish: what the event reports is in the store when listeners run.
      if (e.name === "query.created") {
        const q = (e as DomainEvent<"query.created">).data.query;
        stored[e.name] = (await t.deps.store.queries.findById(q.organizationId, q.id)) !== null;
      }
      if (e.name === "message.created") {
        const m = (e as DomainEvent<"message.created">).data.message;
        stored[e.name] = (await t.deps.store.messages.findById(m.organizationId, m.id)) !== null;
      }
    });
    const query = await openQuery(desk);
    const customer = { token: desk.token.Customer };
    await expectStatus(
      t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
        ...customer,
        json: { message: "Still broken" },
      }),
      201,
    );
    const last = await expectStatus(
      t.call("GET", `/api/v1/chat/rooms/${query.roomId}/messages`, { token: agent.token }),
      200,
    );
    await expectStatus(
      t.call("PUT", `/api/v1/chat/rooms/${query.roomId}/read`, {
        token: agent.token,
        json: { seq: last.data.at(-1).seq },
      }),
      200,
    );
    for (const status of ["In Progress", "Resolved"]) {
      await expectStatus(
        t.call("PUT", `/api/v1/queries/${query.id}/status`, {
          token: agent.token,
          json: { status },
        }),
        200,
      );
    }
    await expectStatus(
      t.call("POST", `/api/v1/queries/${query.id}/csat`, { ...customer, json: { rating: 5 } }),
      201,
    );
    await expectStatus(
      t.call("PUT", `/api/v1/admin/agents/${agent.user.id}`, {
        token: desk.token.Admin,
        json: { team: "Billing" },
      }),
      200,
    );
    const names = seen.map((e) => e.name);
    for (
      const name of [
        "query.created",
        "query.assigned",
        "message.created",
        "message.read",
        "query.status_changed",
        "csat.given",
        "user.changed",
      ]
    ) assert.ok(names.includes(name as DomainEvent["name"]), `${name} in ${names.join(", ")}`);
    assert.deepEqual(stored, { "query.created": true, "message.created": true });
    for (const e of seen) {
      assert.equal(e.organizationId, desk.org.id, e.name);
      assert.ok(e.actorId && e.id && !Number.isNaN(Date.parse(e.at)), e.name);
    }
    const created = seen.find((e) => e.name === "query.created")!;
    assert.equal(created.actorId, desk.users.Customer.id);
    const assigned = seen.find((e) => e.name === "query.assigned") as DomainEvent<"query.assigned">;
    assert.equal(assigned.actorId, "system");
    assert.equal(assigned.data.query.assignedTo, agent.user.id);
    const changed = seen.find((e) => e.name === "user.changed") as DomainEvent<"user.changed">;
    assert.deepEqual(changed.data, { userId: agent.user.id, fields: ["team"] });
  } finally {
    await t.close();
  }
});

Deno.test("Events: a failing listener is logged and neither fails the emit nor the others", async () => {
  const errors: unknown[] = [];
  const quiet = () => {};
  const clock = fixedClock("2026-06-01T10:00:00.000Z");
  const events = createEvents({
    clock,
    ids: systemIds(clock),
    log: { debug: quiet, info: quiet, warn: quiet, error: (...a: unknown[]) => errors.push(a) },
  });
  const ran: string[] = [];
  events.on("organization.changed", () => {
    ran.push("first");
    throw new Error("listener bug");
  });
  events.on(["organization.changed", "user.changed"], (e) => void ran.push(`second ${e.name}`));
  await events.emit("organization.changed", { organizationId: "o", actorId: "u" }, {
    fields: ["name"],
  });
  await events.emit("user.changed", { organizationId: "o", actorId: "u" }, {
    userId: "u",
    fields: [],
  });
  assert.deepEqual(ran, ["first", "second organization.changed", "second user.changed"]);
  assert.equal(errors.length, 1);
  assert.match(JSON.stringify(errors[0]), /listener bug/);
});
