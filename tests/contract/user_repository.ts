import assert from "node:assert/strict";
import { ConflictError } from "@/errors.ts";
import { anOrganization, aUser, nextTime } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

/** UserRepository: the same answers from every adapter, and never across tenants. */
export function userRepositoryContract(kind: StoreKind): void {
  storeTest(
    kind,
    "users.create() then findById() returns it only in its organization",
    async (s) => {
      const org = await s.organizations.create(anOrganization());
      const other = await s.organizations.create(anOrganization());
      const user = aUser(org.id, { skills: [{ name: "billing", level: 3 }] });
      assert.deepEqual(await s.users.create(user), user);
      assert.deepEqual(await s.users.findById(org.id, user.id), user);
      assert.equal(await s.users.findById(other.id, user.id), null);
      assert.equal(await s.users.findById(null, user.id), null);
    },
  );

  storeTest(kind, "users: platform users live under a null organization", async (s) => {
    const admin = await s.users.create(aUser(null, { role: "SuperAdmin" }));
    assert.deepEqual(await s.users.findById(null, admin.id), admin);
    const list = await s.users.list(null, {}, { page: 1, limit: 10 });
    assert.deepEqual(list.data.map((u) => u.id), [admin.id]);
  });

  storeTest(kind, "users.create() rejects an email taken in the same organization", async (s) => {
    const org = await s.organizations.create(anOrganization());
    const user = await s.users.create(aUser(org.id));
    await assert.rejects(s.users.create(aUser(org.id, { email: user.email })), ConflictError);
    const admin = await s.users.create(aUser(null, { role: "SuperAdmin" }));
    await assert.rejects(
      s.users.create(aUser(null, { role: "SuperAdmin", email: admin.email })),
      ConflictError,
    );
  });

  storeTest(kind, "users: one email may have an account in each organization", async (s) => {
    const org = await s.organizations.create(anOrganization());
    const other = await s.organizations.create(anOrganization());
    const here = await s.users.create(aUser(org.id, { role: "Customer" }));
    const there = await s.users.create(aUser(other.id, { email: here.email, role: "Agent" }));
    const platform = await s.users.create(aUser(null, { email: here.email, role: "SuperAdmin" }));
    assert.deepEqual(await s.users.findByEmail(org.id, here.email), here);
    assert.deepEqual(await s.users.findByEmail(other.id, here.email), there);
    assert.deepEqual(await s.users.findByEmail(null, here.email), platform);
    assert.equal(await s.users.findByEmail(org.id, "nobody@example.com"), null);
    const colleague = await s.users.create(aUser(other.id));
    await assert.rejects(
      s.users.update(other.id, colleague.id, { email: there.email }, nextTime()),
      ConflictError,
    );
    assert.deepEqual(await s.users.update(org.id, here.id, { name: "Moved" }, here.updatedAt), {
      ...here,
      name: "Moved",
    });
  });

  storeTest(
    kind,
    "users.findAllByEmail() lists every organization's account, latest login first",
    async (s) => {
      const orgs = await Promise.all([1, 2, 3].map(() => s.organizations.create(anOrganization())));
      const email = "many@example.com";
      const old = await s.users.create(
        aUser(orgs[0]!.id, { email, lastLoginAt: "2026-01-01T00:00:00.000Z" }),
      );
      const recent = await s.users.create(
        aUser(orgs[1]!.id, { email, lastLoginAt: "2026-06-01T00:00:00.000Z" }),
      );
      const contact = await s.users.create(aUser(orgs[2]!.id, { email, passwordHash: null }));
      const never = await s.users.create(aUser(null, { email, role: "SuperAdmin" }));
      const ids = async (limit: number, withPassword: boolean) =>
        (await s.users.findAllByEmail(email, { limit, withPassword })).map((u) => u.id);
      assert.deepEqual(await ids(10, true), [recent.id, old.id, never.id]);
      assert.deepEqual(await ids(10, false), [recent.id, old.id, contact.id, never.id]);
      assert.deepEqual(await ids(1, true), [recent.id]);
      assert.deepEqual(
        await s.users.findAllByEmail("nobody@example.com", { limit: 10, withPassword: false }),
        [],
      );
    },
  );

  storeTest(kind, "users: a contact without a password reads back with a null hash", async (s) => {
    const org = await s.organizations.create(anOrganization());
    const contact = await s.users.create(aUser(org.id, { role: "Customer", passwordHash: null }));
    assert.deepEqual(await s.users.findById(org.id, contact.id), contact);
  });

  storeTest(kind, "users.list() filters by role, active, team, skill and text", async (s) => {
    const org = await s.organizations.create(anOrganization());
    const other = await s.organizations.create(anOrganization());
    const tl = await s.users.create(aUser(org.id, { role: "TL", name: "Tina Lead", team: "emea" }));
    const agent = await s.users.create(
      aUser(org.id, { team: "emea", skills: [{ name: "billing", level: 2 }] }),
    );
    const off = await s.users.create(aUser(org.id, { active: false, name: "Otto 100%" }));
    await s.users.create(aUser(other.id));
    const page = { page: 1, limit: 10 };
    const ids = async (f: Parameters<typeof s.users.list>[1]) =>
      (await s.users.list(org.id, f, page)).data.map((u) => u.id);
    assert.deepEqual(await ids({}), [tl.id, agent.id, off.id]);
    assert.deepEqual(await ids({ roles: ["TL"] }), [tl.id]);
    assert.deepEqual(await ids({ active: false }), [off.id]);
    assert.deepEqual(await ids({ team: "emea" }), [tl.id, agent.id]);
    assert.deepEqual(await ids({ skill: "billing" }), [agent.id]);
    assert.deepEqual(await ids({ text: "tina" }), [tl.id]);
    assert.deepEqual(await ids({ text: "100%" }), [off.id]);
    assert.equal((await s.users.list(org.id, {}, { page: 2, limit: 2 })).total, 3);
  });

  storeTest(
    kind,
    "users.list() finds contacts by phone, ids and custom field, sorted",
    async (s) => {
      const org = await s.organizations.create(anOrganization());
      const customer = (name: string, extra: Partial<Parameters<typeof aUser>[1]> = {}) =>
        s.users.create(aUser(org.id, { role: "Customer", name, ...extra }));
      const bea = await customer("Bea", {
        phone: "+44 20 7946 0018",
        customFields: { plan: "gold", seats: 12, vip: true },
      });
      const al = await customer("Al", { customFields: { plan: "free" } });
      const cy = await customer("Cy", { customFields: { seats: 12 } });
      const merged = await customer("Abe", { mergedInto: bea.id });
      const page = { page: 1, limit: 10 };
      const ids = async (
        f: Parameters<typeof s.users.list>[1],
        sort?: Parameters<typeof s.users.list>[3],
      ) =>
        (await s.users.list(org.id, { roles: ["Customer"], ...f }, page, sort)).data.map((u) =>
          u.id
        );
      assert.deepEqual(await ids({}), [bea.id, al.id, cy.id], "a merged contact is left out");
      assert.deepEqual(await ids({ withMerged: true }), [bea.id, al.id, cy.id, merged.id]);
      assert.deepEqual(await ids({ text: "7946" }), [bea.id]);
      assert.deepEqual(await ids({ ids: [cy.id, al.id, "missing"] }), [al.id, cy.id]);
      assert.deepEqual(await ids({ customField: { key: "plan", value: "gold" } }), [bea.id]);
      assert.deepEqual(await ids({ customField: { key: "seats", value: 12 } }), [bea.id, cy.id]);
      assert.deepEqual(await ids({ customField: { key: "vip", value: true } }), [bea.id]);
      assert.deepEqual(await ids({}, { field: "name", order: "asc" }), [al.id, bea.id, cy.id]);
      assert.deepEqual(await ids({}, { field: "name", order: "desc" }), [cy.id, bea.id, al.id]);
      assert.deepEqual(await ids({}, { field: "createdAt", order: "desc" }), [
        cy.id,
        al.id,
        bea.id,
      ]);
    },
  );

  storeTest(
    kind,
    "users: contacts filter by label, and a label comes off every contact",
    async (s) => {
      const org = await s.organizations.create(anOrganization());
      const vip = await s.users.create(
        aUser(org.id, { role: "Customer", labels: ["l-vip", "l-b2b"] }),
      );
      const b2b = await s.users.create(aUser(org.id, { role: "Customer", labels: ["l-b2b"] }));
      const page = { page: 1, limit: 10 };
      const ids = async (label: string) =>
        (await s.users.list(org.id, { label }, page)).data.map((u) => u.id);
      assert.deepEqual(await ids("l-vip"), [vip.id]);
      assert.deepEqual(await ids("l-b2b"), [vip.id, b2b.id]);
      assert.equal(await s.users.removeLabel(org.id, "l-b2b"), 2);
      assert.deepEqual((await s.users.findById(org.id, vip.id))?.labels, ["l-vip"]);
      assert.deepEqual((await s.users.findById(org.id, b2b.id))?.labels, []);
      assert.deepEqual(await ids("l-b2b"), []);
    },
  );

  storeTest(kind, "users.mergedSince() finds merged contacts of every organization", async (s) => {
    const a = await s.organizations.create(anOrganization());
    const b = await s.organizations.create(anOrganization());
    const keep = await s.users.create(aUser(a.id, { role: "Customer" }));
    const old = await s.users.create(aUser(a.id, { role: "Customer", mergedInto: keep.id }));
    const since = nextTime();
    const recent = await s.users.create(aUser(b.id, { role: "Customer", mergedInto: "x" }));
    await s.users.create(aUser(b.id, { role: "Customer" }));
    assert.deepEqual((await s.users.mergedSince(since, 10)).map((u) => u.id), [recent.id]);
    assert.deepEqual((await s.users.mergedSince(old.updatedAt, 1)).map((u) => u.id), [old.id]);
  });

  storeTest(kind, "users.delete() removes a user of this organization only", async (s) => {
    const org = await s.organizations.create(anOrganization());
    const other = await s.organizations.create(anOrganization());
    const user = await s.users.create(aUser(org.id, { role: "Customer" }));
    assert.equal(await s.users.delete(other.id, user.id), false);
    assert.ok(await s.users.findById(org.id, user.id));
    assert.equal(await s.users.delete(org.id, user.id), true);
    assert.equal(await s.users.findById(org.id, user.id), null);
    assert.equal(await s.users.delete(org.id, user.id), false);
  });

  storeTest(kind, "users.update() patches within the organization only", async (s) => {
    const org = await s.organizations.create(anOrganization());
    const other = await s.organizations.create(anOrganization());
    const user = await s.users.create(aUser(org.id));
    const at = nextTime();
    assert.equal(await s.users.update(other.id, user.id, { name: "Hijack" }, at), null);
    assert.equal((await s.users.findById(org.id, user.id))?.name, user.name);
    const skills = [{ name: "voice", level: 1 }];
    const updated = await s.users.update(
      org.id,
      user.id,
      { name: "New", skills, active: false },
      at,
    );
    assert.deepEqual(updated, { ...user, name: "New", skills, active: false, updatedAt: at });
  });

  storeTest(kind, "users.update() to a registered email is a ConflictError", async (s) => {
    const org = await s.organizations.create(anOrganization());
    const a = await s.users.create(aUser(org.id));
    const b = await s.users.create(aUser(org.id));
    await assert.rejects(
      s.users.update(org.id, b.id, { email: a.email }, nextTime()),
      ConflictError,
    );
  });
}
