import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { login, password } from "@tests/helpers/identity.ts";

type T = Awaited<ReturnType<typeof testApp>>;

function addContact(desk: Desk, json: Record<string, unknown>, token = desk.token.TL) {
  return desk.t.call("POST", "/api/v1/contacts", { token, json });
}

async function field(desk: Desk, json: Record<string, unknown>) {
  return await expectStatus(
    desk.t.call("POST", "/api/v1/custom-fields", { token: desk.token.Admin, json }),
    201,
  );
}

const ids = (page: { data: { id: string }[] }) => page.data.map((x) => x.id);

Deno.test("POST /contacts adds a contact without a login; GET /contacts finds, sorts and pages", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const made = await expectStatus(
      addContact(desk, { name: "Zoe Quinn", email: "Zoe@Example.com", phone: "+1 555 0100" }),
      201,
    );
    assert.equal(made.email, "zoe@example.com");
    assert.equal(made.hasLogin, false);
    assert.equal(made.organizationId, desk.org.id);
    const again = await addContact(desk, { name: "Zoe again", email: "zoe@example.com" });
    assert.equal(again.status, 409);
    const ann = await expectStatus(addContact(desk, { name: "Ann Lee", email: "ann@x.test" }), 201);

    const get = (query: string) =>
      expectStatus(t.call("GET", `/api/v1/contacts${query}`, { token: desk.token.QA }), 200);
    const all = await get("?sort=name&order=asc");
    assert.deepEqual(ids(all), [ann.id, desk.users.Customer.id, made.id]);
    assert.equal(all.meta.total, 3);
    assert.deepEqual(ids(await get("?q=quinn")), [made.id]);
    assert.deepEqual(ids(await get("?q=zoe%40example")), [made.id]);
    assert.deepEqual(ids(await get("?q=555")), [made.id]);
    const paged = await get("?sort=name&order=asc&limit=2&page=2");
    assert.deepEqual(ids(paged), [made.id]);
    assert.deepEqual(paged.meta, { total: 3, page: 2, limit: 2 });
    assert.equal(
      (await t.call("GET", "/api/v1/contacts?sort=password", { token: desk.token.QA }))
        .status,
      400,
    );

    const qa = await addContact(desk, { name: "QA made", email: "qa@x.test" }, desk.token.QA);
    assert.equal(qa.status, 403, "QA reads contacts but does not add them");
    const customer = await t.call("GET", "/api/v1/contacts", { token: desk.token.Customer });
    assert.equal(customer.status, 403);
    await customer.body?.cancel();
    await qa.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("PUT /contacts/{id} corrects a contact; a taken email is 409 and changes nothing", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const id = desk.users.Customer.id;
    const put = (json: Record<string, unknown>) =>
      t.call("PUT", `/api/v1/contacts/${id}`, { token: desk.token.TL, json });
    const fixed = await expectStatus(put({ name: "Carla Jones", phone: "+44 1234 5678" }), 200);
    assert.equal(fixed.name, "Carla Jones");
    assert.equal(fixed.phone, "+44 1234 5678");
    const taken = await put({ email: desk.users.Agent.email, name: "Someone else" });
    assert.equal(taken.status, 409);
    await taken.body?.cancel();
    const now = await expectStatus(
      t.call("GET", `/api/v1/contacts/${id}`, { token: desk.token.TL }),
      200,
    );
    assert.equal(now.name, "Carla Jones", "nothing of the refused change was written");
    assert.equal(now.email, desk.users.Customer.email);
    // The contact's own login still works, with the corrected profile.
    const me = await expectStatus(
      t.call("GET", "/api/v1/auth/me", { token: desk.token.Customer }),
      200,
    );
    assert.equal(me.user.name, "Carla Jones");
    const staff = await t.call("GET", `/api/v1/contacts/${desk.users.Agent.id}`, {
      token: desk.token.TL,
    });
    assert.equal(staff.status, 404, "staff are not contacts");
    await staff.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("custom fields: typed values are validated, filterable, and leave with their field", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const plan = await field(desk, {
      key: "plan",
      label: "Plan",
      type: "list",
      options: ["free", "gold"],
    });
    await field(desk, { key: "seats", label: "Seats", type: "number" });
    await field(desk, { key: "renews", label: "Renews on", type: "date" });
    await field(desk, { key: "vip", label: "VIP", type: "boolean" });
    await field(desk, { key: "note", label: "Note", type: "text" });
    const dup = await t.call("POST", "/api/v1/custom-fields", {
      token: desk.token.Admin,
      json: { key: "plan", label: "Again", type: "text" },
    });
    assert.equal(dup.status, 409);
    await dup.body?.cancel();
    const noOptions = await t.call("POST", "/api/v1/custom-fields", {
      token: desk.token.Admin,
      json: { key: "tier", label: "Tier", type: "list" },
    });
    assert.equal(noOptions.status, 400);
    await noOptions.body?.cancel();
    const byTl = await t.call("POST", "/api/v1/custom-fields", {
      token: desk.token.TL,
      json: { key: "x", label: "X", type: "text" },
    });
    assert.equal(byTl.status, 403);
    await byTl.body?.cancel();

    const values = { plan: "gold", seats: 12, renews: "2027-02-28", vip: true, note: "Big" };
    const gold = await expectStatus(
      addContact(desk, { name: "Gold Co", email: "gold@x.test", customFields: values }),
      201,
    );
    assert.deepEqual(gold.customFields, values);
    const wrong = {
      plan: "platinum",
      seats: "twelve",
      renews: "2027-02-30",
      vip: "yes",
      color: "red",
    };
    const refused = await t.call("PUT", `/api/v1/contacts/${gold.id}`, {
      token: desk.token.TL,
      json: { name: "Renamed", customFields: wrong },
    });
    assert.equal(refused.status, 400);
    const body = await refused.json();
    assert.equal(body.error.code, "VALIDATION_FAILED");
    assert.deepEqual(
      body.error.details.map((d: { path: string }) => d.path).sort(),
      Object.keys(wrong).map((k) => `customFields.${k}`).sort(),
    );
    const kept = await expectStatus(
      t.call("GET", `/api/v1/contacts/${gold.id}`, { token: desk.token.TL }),
      200,
    );
    assert.equal(kept.name, "Gold Co");
    assert.deepEqual(kept.customFields, values);

    await expectStatus(
      addContact(desk, {
        name: "Free Co",
        email: "free@x.test",
        customFields: { plan: "free", seats: 3 },
      }),
      201,
    );
    const find = async (f: string) =>
      ids(
        await expectStatus(
          t.call("GET", `/api/v1/contacts?field=${f}`, { token: desk.token.QA }),
          200,
        ),
      );
    assert.deepEqual(await find("plan:gold"), [gold.id]);
    assert.deepEqual(await find("seats:12"), [gold.id]);
    assert.deepEqual(await find("vip:true"), [gold.id]);
    assert.deepEqual(await find("renews:2027-02-28"), [gold.id]);
    const badFilter = await t.call("GET", "/api/v1/contacts?field=seats:many", {
      token: desk.token.QA,
    });
    assert.equal(badFilter.status, 400);
    await badFilter.body?.cancel();

    const cleared = await expectStatus(
      t.call("PUT", `/api/v1/contacts/${gold.id}`, {
        token: desk.token.TL,
        json: { customFields: { note: null } },
      }),
      200,
    );
    assert.equal("note" in cleared.customFields, false, "null removes a value");
    const renamed = await expectStatus(
      t.call("PUT", `/api/v1/custom-fields/${plan.id}`, {
        token: desk.token.Admin,
        json: { label: "Subscription", options: ["free", "gold", "platinum"] },
      }),
      200,
    );
    assert.deepEqual(renamed.options, ["free", "gold", "platinum"]);
    await expectStatus(
      t.call("DELETE", `/api/v1/custom-fields/${plan.id}`, { token: desk.token.Admin }),
      204,
    );
    const after = await expectStatus(
      t.call("GET", `/api/v1/contacts/${gold.id}`, { token: desk.token.TL }),
      200,
    );
    assert.equal("plan" in after.customFields, false, "the field's values left with it");
    const list = await expectStatus(
      t.call("GET", "/api/v1/custom-fields", { token: desk.token.Agent }),
      200,
    );
    assert.deepEqual(list.data.map((f: { key: string }) => f.key).sort(), [
      "note",
      "renews",
      "seats",
      "vip",
    ]);
  } finally {
    await t.close();
  }
});

async function conversationWith(t: T, desk: Desk) {
  const agent = await anAgent(desk);
  const query = await openQuery(desk, { title: "Router blinks" });
  assert.equal(query.assignedTo, agent.user.id);
  const lines: [string, string][] = [
    [desk.token.Customer, "It blinks red"],
    [agent.token, "Restart it"],
  ];
  for (const [token, message] of lines) {
    await expectStatus(
      t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, { token, json: { message } }),
      201,
    );
  }
  return { agent, query };
}

Deno.test("GET /contacts/{id}/queries and /conversations: the history, newest first; an Agent sees only their contacts", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const { agent, query } = await conversationWith(t, desk);
    const second = await openQuery(desk, { title: "Invoice" });
    const other = await expectStatus(
      addContact(desk, { name: "Stranger", email: "s@x.test" }),
      201,
    );
    const id = desk.users.Customer.id;

    const queries = await expectStatus(
      t.call("GET", `/api/v1/contacts/${id}/queries`, { token: desk.token.TL }),
      200,
    );
    assert.deepEqual(ids(queries), [second.id, query.id]);
    const talk = await expectStatus(
      t.call("GET", `/api/v1/contacts/${id}/conversations?limit=100`, { token: desk.token.QA }),
      200,
    );
    const texts = talk.data.map((m: { text: string }) => m.text);
    assert.ok(texts.indexOf("Restart it") < texts.indexOf("It blinks red"), "newest first");
    assert.ok(texts.some((x: string) => x.startsWith(second.reference)), "both queries' rooms");
    const first = await expectStatus(
      t.call("GET", `/api/v1/contacts/${id}/conversations?limit=1`, { token: desk.token.QA }),
      200,
    );
    assert.equal(first.data[0].id, talk.data[0].id);
    assert.equal(first.meta.total, talk.data.length);
    assert.equal("organizationId" in talk.data[0], false, "the same shape as the room's messages");

    // The agent served this contact, not the stranger.
    const mine = await expectStatus(t.call("GET", "/api/v1/contacts", { token: agent.token }), 200);
    assert.deepEqual(ids(mine), [id]);
    const hidden = await t.call("GET", `/api/v1/contacts/${other.id}`, { token: agent.token });
    assert.equal(hidden.status, 404);
    await hidden.body?.cancel();
    const theirs = await expectStatus(
      t.call("GET", `/api/v1/contacts/${id}/queries`, { token: agent.token }),
      200,
    );
    assert.ok(ids(theirs).includes(query.id));
    const anotherAgent = await login(t, desk.users.Agent.email, {});
    const notServed = await t.call("GET", `/api/v1/contacts/${other.id}/conversations`, {
      token: anotherAgent,
    });
    assert.equal(notServed.status, 404);
    await notServed.body?.cancel();
    assert.ok(password);
  } finally {
    await t.close();
  }
});

Deno.test("custom fields on queries: set on create and edit, validated, filtered, in history", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk);
    await field(desk, { entity: "query", key: "order_no", label: "Order", type: "number" });
    await field(desk, {
      entity: "query",
      key: "channel",
      label: "Channel",
      type: "list",
      options: ["web", "app"],
    });
    const bad = await t.call("POST", "/api/v1/queries", {
      token: desk.token.Customer,
      json: { title: "Late", description: "Order late", customFields: { order_no: "A1" } },
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    const page = await expectStatus(
      t.call("GET", "/api/v1/queries", { token: desk.token.TL }),
      200,
    );
    assert.equal(page.meta.total, 0, "nothing was stored for the refused query");
    const query = await openQuery(desk, { customFields: { order_no: 4711, channel: "web" } });
    assert.deepEqual(query.customFields, { order_no: 4711, channel: "web" });
    const edited = await expectStatus(
      t.call("PUT", `/api/v1/queries/${query.id}`, {
        token: agent.token,
        json: { customFields: { channel: "app" } },
      }),
      200,
    );
    assert.deepEqual(edited.customFields, { order_no: 4711, channel: "app" });
    const found = await expectStatus(
      t.call("GET", "/api/v1/queries?field=channel:app", { token: desk.token.TL }),
      200,
    );
    assert.deepEqual(ids(found), [query.id]);
    const none = await expectStatus(
      t.call("GET", "/api/v1/queries?field=order_no:1", { token: desk.token.TL }),
      200,
    );
    assert.equal(none.meta.total, 0);
    const history = await expectStatus(
      t.call("GET", `/api/v1/queries/${query.id}/history`, { token: desk.token.TL }),
      200,
    );
    assert.ok(history.data.some((e: { field: string }) => e.field === "customFields"));
    const contactField = await t.call("POST", "/api/v1/queries", {
      token: desk.token.Customer,
      json: { title: "x", description: "y", customFields: { plan: "gold" } },
    });
    assert.equal(contactField.status, 400, "a contact field is not a query field");
    await contactField.body?.cancel();
  } finally {
    await t.close();
  }
});
