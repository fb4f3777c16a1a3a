import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, expectStatus } from "@tests/helpers/support.ts";
import { aUser } from "@tests/contract/fixtures.ts";
import { uuidv7 } from "@/ids.ts";
import type { AuditEvent } from "@/modules/audit/repository.ts";

const customer = { role: "Customer" as const, passwordHash: null };

Deno.test("GET /contacts/{id}/export holds every audit entry about and by the contact, past a thousand of each", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const contact = await t.deps.store.users.create(aUser(desk.org.id, customer));
    const entry = (n: number, about: boolean): AuditEvent => ({
      id: uuidv7(),
      organizationId: desk.org.id,
      action: about ? "contact.updated" : "login.success",
      actorId: about ? desk.users.Admin.id : contact.id,
      actorRole: about ? "Admin" : "Customer",
      targetType: about ? "contact" : null,
      targetId: about ? contact.id : null,
      ip: null,
      details: { n },
      at: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
    });
    for (let n = 0; n < 1005; n++) await t.deps.store.audit.append(entry(n, true));
    for (let n = 0; n < 1003; n++) await t.deps.store.audit.append(entry(n, false));
    const data = await expectStatus(
      t.call("GET", `/api/v1/contacts/${contact.id}/export`, { token: desk.token.Admin }),
      200,
    );
    const about = data.audit.filter((e: AuditEvent) => e.targetId === contact.id);
    const byThem = data.audit.filter((e: AuditEvent) => e.actorId === contact.id);
    assert.equal(about.length, 1005);
    assert.equal(byThem.length, 1003);
    assert.equal(new Set(data.audit.map((e: AuditEvent) => e.id)).size, data.audit.length);
    assert.deepEqual(about[0].details, { n: 0 }, "the oldest too, oldest first");
  } finally {
    await t.close();
  }
});

Deno.test("DELETE /contacts/{id} removes every contact merged into it, past the first thousand customers and through a chain", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const users = t.deps.store.users;
    const contact = await users.create(aUser(desk.org.id, customer));
    for (let n = 0; n < 1001; n++) await users.create(aUser(desk.org.id, customer));
    const other = await users.create(aUser(desk.org.id, customer));
    const late = (overrides: object) =>
      users.create(
        aUser(desk.org.id, { ...customer, createdAt: "2099-01-01T00:00:00.000Z", ...overrides }),
      );
    const alias = await late({ mergedInto: contact.id });
    const aliasOfAlias = await late({ mergedInto: alias.id });
    const notHers = await late({ mergedInto: other.id });
    await expectStatus(
      t.call("DELETE", `/api/v1/contacts/${contact.id}`, { token: desk.token.Admin }),
      204,
    );
    for (const gone of [contact, alias, aliasOfAlias]) {
      assert.equal(await users.findById(desk.org.id, gone.id), null, gone.id);
    }
    assert.notEqual(await users.findById(desk.org.id, notHers.id), null, "another's alias stays");
    assert.notEqual(await users.findById(desk.org.id, other.id), null);
  } finally {
    await t.close();
  }
});
