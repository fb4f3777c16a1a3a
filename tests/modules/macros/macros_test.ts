import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, expectStatus, openQuery } from "@tests/helpers/support.ts";
import type { EventName } from "@/events.ts";

async function aMacroDesk() {
  const t = await testApp();
  const desk = await aDesk(t);
  const agent = await anAgent(desk);
  const call = (method: string, path: string, token: string, json?: unknown) =>
    t.call(method, `/api/v1${path}`, { token, ...(json === undefined ? {} : { json }) });
  const label = async (name: string) =>
    (await expectStatus(call("POST", "/labels", desk.token.Admin, { name }), 201)).id as string;
  /** Counts the domain events emitted from now on, by name. */
  const emitted = new Map<string, number>();
  const watch = (names: EventName[]) =>
    t.services.events.on(names, (e) => {
      emitted.set(e.name, (emitted.get(e.name) ?? 0) + 1);
    });
  return { t, desk, agent, call, label, emitted, watch };
}

Deno.test("/macros: organization-wide ones for leads to edit, personal ones for their owner only", async () => {
  const { t, desk, agent, call } = await aMacroDesk();
  try {
    const steps = [{ type: "reply", text: "Thanks, looking into it" }];
    const shared = await expectStatus(
      call("POST", "/macros", desk.token.TL, { name: "Greet", visibility: "organization", steps }),
      201,
    );
    assert.equal(shared.ownerId, desk.users.TL.id);
    const mine = await expectStatus(
      call("POST", "/macros", agent.token, { name: "My greet", visibility: "personal", steps }),
      201,
    );
    const refused = await call("POST", "/macros", agent.token, {
      name: "Everyone's",
      visibility: "organization",
      steps,
    });
    assert.equal(refused.status, 403, await refused.text());
    const names = async (token: string) =>
      (await expectStatus(call("GET", "/macros", token), 200)).data.map((m: { name: string }) =>
        m.name
      ).sort();
    assert.deepEqual(await names(agent.token), ["Greet", "My greet"]);
    assert.deepEqual(await names(desk.token.Agent), ["Greet"], "another agent's are not listed");
    for (const [method, body] of [["GET"], ["PUT", { name: "x" }], ["DELETE"]] as const) {
      const res = await call(method, `/macros/${mine.id}`, desk.token.Agent, body);
      assert.equal(res.status, 404, `${method}: ${await res.text()}`);
    }
    const edit = await call("PUT", `/macros/${shared.id}`, agent.token, { name: "Mine now" });
    assert.equal(edit.status, 403, await edit.text());
    const renamed = await expectStatus(
      call("PUT", `/macros/${mine.id}`, agent.token, { name: "Hello" }),
      200,
    );
    assert.equal(renamed.name, "Hello");
    const badLabel = await call("POST", "/macros", desk.token.Admin, {
      name: "x",
      visibility: "organization",
      steps: [{ type: "labels", add: ["no-such-label"] }],
    });
    assert.equal(badLabel.status, 422, await badLabel.text());
    const customer = await call("GET", "/macros", desk.token.Customer);
    assert.equal(customer.status, 403, await customer.text());
    assert.equal((await call("DELETE", `/macros/${shared.id}`, desk.token.Admin)).status, 204);
    assert.equal((await call("GET", `/macros/${shared.id}`, desk.token.TL)).status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("POST /queries/{id}/macros/{macroId} applies every step, each in the history, events once", async () => {
  const { t, desk, agent, call, label, emitted, watch } = await aMacroDesk();
  try {
    const billing = await label("billing");
    const team = await expectStatus(
      call("POST", "/teams", desk.token.Admin, { name: "Billing" }),
      201,
    );
    const query = await openQuery(desk);
    assert.equal(query.assignedTo, agent.user.id);
    const macro = await expectStatus(
      call("POST", "/macros", desk.token.Admin, {
        name: "Escalate billing",
        visibility: "organization",
        steps: [
          { type: "labels", add: [billing] },
          { type: "priority", priority: "High" },
          { type: "status", status: "In Progress" },
          { type: "team", team: "Billing" },
          { type: "reply", text: "A billing specialist has your case." },
          { type: "note", text: "Escalated by macro" },
        ],
      }),
      201,
    );
    watch(["query.updated", "query.status_changed", "message.created"]);
    const ran = await expectStatus(
      call("POST", `/queries/${query.reference}/macros/${macro.id}`, desk.token.Admin),
      200,
    );
    assert.deepEqual(ran.labels, [billing]);
    assert.equal(ran.priority, "High");
    assert.equal(ran.status, "In Progress");
    assert.equal(ran.team, team.id, "the team by its id");
    const history = await expectStatus(
      call("GET", `/queries/${query.id}/history?limit=100`, desk.token.Admin),
      200,
    );
    const fromMacro = history.data.filter((h: { reason: string | null }) =>
      h.reason === "Macro Escalate billing"
    );
    assert.deepEqual(
      fromMacro.map((h: { field: string }) => h.field),
      ["labels", "priority", "status", "team", "reply", "note"],
    );
    assert.equal(emitted.get("query.updated"), 1, "one query.updated for all the field changes");
    assert.equal(emitted.get("query.status_changed"), 1);
    assert.equal(emitted.get("message.created"), 3, "the reply, the note and the status line");
    const seen = await expectStatus(
      call("GET", `/chat/rooms/${query.roomId}/messages`, desk.token.Customer),
      200,
    );
    const texts = seen.data.map((m: { text: string }) => m.text);
    assert.ok(texts.includes("A billing specialist has your case."));
    assert.equal(texts.includes("Escalated by macro"), false, "the note stays with staff");
    // An agent may run it on their own query, but not a step beyond their role.
    const agentRun = await call("POST", `/queries/${query.id}/macros/${macro.id}`, agent.token);
    assert.equal(agentRun.status, 403, await agentRun.text());
  } finally {
    await t.close();
  }
});

Deno.test("a macro failing at its third step changes nothing", async () => {
  const { t, desk, call, label, emitted, watch } = await aMacroDesk();
  try {
    const vip = await label("vip");
    await expectStatus(call("POST", "/teams", desk.token.Admin, { name: "VIP" }), 201);
    const query = await openQuery(desk);
    const steps = [
      { type: "priority", priority: "Urgent" },
      { type: "labels", add: [vip] },
      // Assigned → Closed is not a move a query can make.
      { type: "status", status: "Closed" },
      { type: "reply", text: "Closing this" },
    ];
    const macro = await expectStatus(
      call("POST", "/macros", desk.token.Admin, { name: "Bad", visibility: "organization", steps }),
      201,
    );
    const store = t.deps.store;
    const org = desk.org.id;
    const state = async () =>
      JSON.stringify({
        query: await store.queries.findById(org, query.id),
        history: await store.queryHistory.list(org, query.id, { page: 1, limit: 100 }),
        messages: await store.messages.list(org, query.roomId, { afterSeq: 0, limit: 100 }),
      });
    const before = await state();
    watch(["query.updated", "query.status_changed", "message.created", "query.assigned"]);
    const res = await call("POST", `/queries/${query.id}/macros/${macro.id}`, desk.token.Admin);
    const body = JSON.parse(await res.text());
    assert.equal(res.status, 409, JSON.stringify(body));
    assert.equal(body.error.code, "INVALID_TRANSITION");
    assert.match(body.error.message, /^Step 3 \(status\): Cannot move/);
    assert.equal(await state(), before);
    assert.equal(emitted.size, 0, "no event went out");

    // A label deleted since the macro was saved fails it the same way, before anything applies.
    await expectStatus(
      call("PUT", `/macros/${macro.id}`, desk.token.Admin, {
        steps: [steps[0], { type: "team", team: "VIP" }, steps[1]],
      }),
      200,
    );
    assert.equal((await call("DELETE", `/labels/${vip}`, desk.token.Admin)).status, 204);
    const gone = await call("POST", `/queries/${query.id}/macros/${macro.id}`, desk.token.Admin);
    assert.equal(gone.status, 422, await gone.text());
    assert.equal(await state(), before);
    assert.equal(emitted.size, 0);
  } finally {
    await t.close();
  }
});
