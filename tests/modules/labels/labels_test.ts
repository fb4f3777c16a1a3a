import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";

type Label = { id: string; name: string; color: string; description: string };

async function aLabelDesk() {
  const t = await testApp();
  const desk = await aDesk(t);
  const call = (method: string, path: string, token = desk.token.Admin, json?: unknown) =>
    t.call(method, `/api/v1${path}`, { token, ...(json === undefined ? {} : { json }) });
  const label = (name: string, extra: Record<string, unknown> = {}): Promise<Label> =>
    expectStatus(call("POST", "/labels", desk.token.Admin, { name, ...extra }), 201);
  return { t, desk, call, label };
}

async function ids(desk: Desk, query: string) {
  const page = await expectStatus(
    desk.t.call("GET", `/api/v1/queries${query}`, { token: desk.token.Admin }),
    200,
  );
  return page.data.map((q: { id: string }) => q.id);
}

Deno.test("/labels: create, list by name, rename, recolour, delete; names unique whatever the case", async () => {
  const { t, desk, call, label } = await aLabelDesk();
  try {
    const vip = await label("VIP", { color: "#ffd700", description: "Top customers" });
    assert.deepEqual({ ...vip, id: "" }, {
      id: "",
      name: "VIP",
      color: "#ffd700",
      description: "Top customers",
      createdAt: (vip as unknown as { createdAt: string }).createdAt,
      updatedAt: (vip as unknown as { updatedAt: string }).updatedAt,
    });
    const billing = await label("billing");
    assert.equal(billing.color, "#6b7280", "a default colour");
    const taken = await call("POST", "/labels", desk.token.Admin, { name: "vip" });
    assert.equal(taken.status, 409, await taken.text());
    const bad = await call("POST", "/labels", desk.token.Admin, { name: "x", color: "red" });
    assert.equal(bad.status, 400, await bad.text());
    const list = await expectStatus(call("GET", "/labels", desk.token.Agent), 200);
    assert.deepEqual(list.data.map((l: Label) => l.name), ["billing", "VIP"]);
    assert.deepEqual(list.meta, { total: 2, page: 1, limit: 20 });
    const renamed = await expectStatus(
      call("PUT", `/labels/${vip.id}`, desk.token.TL, { name: "Gold" }),
      200,
    );
    assert.equal(renamed.name, "Gold");
    assert.equal(renamed.color, "#ffd700");
    const clash = await call("PUT", `/labels/${vip.id}`, desk.token.Admin, { name: "BILLING" });
    assert.equal(clash.status, 409, await clash.text());
    assert.equal((await call("DELETE", `/labels/${billing.id}`)).status, 204);
    assert.equal((await call("GET", `/labels/${billing.id}`)).status, 404);
    assert.equal((await call("DELETE", `/labels/${billing.id}`)).status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("/labels permissions: staff read, Admin and TL edit, customers neither", async () => {
  const { t, desk, call, label } = await aLabelDesk();
  try {
    const vip = await label("vip");
    for (const role of ["Admin", "TL", "QA", "Agent"] as const) {
      assert.equal((await call("GET", "/labels", desk.token[role])).status, 200, role);
    }
    const customer = await call("GET", "/labels", desk.token.Customer);
    assert.equal(customer.status, 403, await customer.text());
    for (const role of ["QA", "Agent", "Customer"] as const) {
      const made = await call("POST", "/labels", desk.token[role], { name: `by ${role}` });
      assert.equal(made.status, 403, `${role}: ${await made.text()}`);
      const changed = await call("PUT", `/labels/${vip.id}`, desk.token[role], { name: "x" });
      assert.equal(changed.status, 403, role);
      await changed.body?.cancel();
      const removed = await call("DELETE", `/labels/${vip.id}`, desk.token[role]);
      assert.equal(removed.status, 403, role);
      await removed.body?.cancel();
    }
  } finally {
    await t.close();
  }
});

Deno.test("queries carry labels from the set only (422 otherwise); ?label= filters by id or name", async () => {
  const { t, desk, call, label } = await aLabelDesk();
  try {
    const vip = await label("VIP");
    const refund = await label("refund");
    const customerId = desk.users.Customer.id;
    const labelled = await expectStatus(
      call("POST", "/queries", desk.token.Admin, {
        title: "Refund for order 12",
        description: "Charged twice",
        customerId,
        labels: [vip.id, refund.id, vip.id],
      }),
      201,
    );
    assert.deepEqual(labelled.labels, [vip.id, refund.id]);
    const plain = await openQuery(desk);
    assert.deepEqual(plain.labels, []);
    const unknown = await call("POST", "/queries", desk.token.Admin, {
      title: "x",
      description: "y",
      customerId,
      labels: ["no-such-label"],
    });
    assert.equal(unknown.status, 422, await unknown.text());
    const edited = await expectStatus(
      call("PUT", `/queries/${plain.id}`, desk.token.Admin, { labels: [refund.id] }),
      200,
    );
    assert.deepEqual(edited.labels, [refund.id]);
    const history = await expectStatus(call("GET", `/queries/${plain.id}/history`), 200);
    assert.ok(
      history.data.some((h: { field: string; to: unknown }) =>
        h.field === "labels" && JSON.stringify(h.to) === JSON.stringify([refund.id])
      ),
      "the change is in the history",
    );
    const refused = await call("PUT", `/queries/${plain.id}`, desk.token.Admin, {
      labels: [refund.id, "nope"],
    });
    assert.equal(refused.status, 422, await refused.text());
    const byCustomer = await call("POST", "/queries", desk.token.Customer, {
      title: "x",
      description: "y",
      labels: [vip.id],
    });
    assert.equal(byCustomer.status, 403, await byCustomer.text());

    assert.deepEqual(await ids(desk, `?label=${vip.id}`), [labelled.id]);
    assert.deepEqual((await ids(desk, `?label=refund`)).sort(), [labelled.id, plain.id].sort());
    assert.deepEqual(await ids(desk, "?label=REFUND&sort=number&order=asc"), [
      labelled.id,
      plain.id,
    ]);
    assert.deepEqual(await ids(desk, "?label=unknown"), []);

    // A rename shows everywhere at once: queries carry the id, which names the new name.
    await expectStatus(
      call("PUT", `/labels/${refund.id}`, desk.token.Admin, { name: "Refunds" }),
      200,
    );
    assert.deepEqual((await ids(desk, "?label=Refunds")).length, 2);
    assert.deepEqual(await ids(desk, "?label=refund"), [], "the old name names nothing now");
    const again = await expectStatus(call("GET", `/queries/${plain.id}`), 200);
    assert.deepEqual(again.labels, [refund.id]);
    assert.equal((await expectStatus(call("GET", `/labels/${refund.id}`), 200)).name, "Refunds");

    // A deleted label leaves no query carrying it.
    assert.equal((await call("DELETE", `/labels/${refund.id}`)).status, 204);
    assert.deepEqual((await expectStatus(call("GET", `/queries/${labelled.id}`), 200)).labels, [
      vip.id,
    ]);
    assert.deepEqual((await expectStatus(call("GET", `/queries/${plain.id}`), 200)).labels, []);
  } finally {
    await t.close();
  }
});
