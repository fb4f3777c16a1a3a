import assert from "node:assert/strict";
import { ConflictError } from "@/errors.ts";
import { anOrganization, nextTime } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

/** OrganizationRepository: the same answers from every adapter. */
export function organizationRepositoryContract(kind: StoreKind): void {
  storeTest(
    kind,
    "organizations.create() then findById() and findBySlug() return it",
    async (s) => {
      const org = anOrganization();
      assert.deepEqual(await s.organizations.create(org), org);
      assert.deepEqual(await s.organizations.findById(org.id), org);
      assert.deepEqual(await s.organizations.findBySlug(org.slug), org);
      assert.equal(await s.organizations.findById("missing"), null);
    },
  );

  storeTest(kind, "organizations.create() rejects a taken slug with ConflictError", async (s) => {
    const first = anOrganization();
    await s.organizations.create(first);
    await assert.rejects(
      s.organizations.create(anOrganization({ slug: first.slug })),
      ConflictError,
    );
    assert.equal((await s.organizations.list({}, { page: 1, limit: 10 })).total, 1);
  });

  storeTest(kind, "organizations.list() filters, counts and pages in creation order", async (s) => {
    const a = await s.organizations.create(anOrganization({ name: "Alpha Co" }));
    const b = await s.organizations.create(anOrganization({ name: "Beta_Co", active: false }));
    const c = await s.organizations.create(anOrganization({ name: "Gamma Co" }));
    const all = await s.organizations.list({}, { page: 1, limit: 2 });
    assert.deepEqual(all.data.map((o) => o.id), [a.id, b.id]);
    assert.equal(all.total, 3);
    const page2 = await s.organizations.list({}, { page: 2, limit: 2 });
    assert.deepEqual(page2.data.map((o) => o.id), [c.id]);
    const active = await s.organizations.list({ active: true }, { page: 1, limit: 10 });
    assert.deepEqual(active.data.map((o) => o.id), [a.id, c.id]);
    const text = await s.organizations.list({ text: "a_c" }, { page: 1, limit: 10 });
    assert.deepEqual(text.data.map((o) => o.id), [b.id], "underscore matches literally");
  });

  storeTest(kind, "organizations.update() applies only the patch and keeps the rest", async (s) => {
    const org = await s.organizations.create(anOrganization());
    const at = nextTime();
    const settings = { ...org.settings, timezone: "Europe/Paris" };
    const updated = await s.organizations.update(org.id, { name: "Renamed", settings }, at);
    assert.deepEqual(updated, { ...org, name: "Renamed", settings, updatedAt: at });
    assert.deepEqual(await s.organizations.findById(org.id), updated);
    assert.equal(await s.organizations.update("missing", { name: "x" }, at), null);
  });

  storeTest(kind, "organizations.update() to a taken slug is a ConflictError", async (s) => {
    const a = await s.organizations.create(anOrganization());
    const b = await s.organizations.create(anOrganization());
    await assert.rejects(s.organizations.update(b.id, { slug: a.slug }, nextTime()), ConflictError);
    assert.equal((await s.organizations.findById(b.id))?.slug, b.slug);
  });
}
