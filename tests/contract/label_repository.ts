import assert from "node:assert/strict";
import { ConflictError } from "@/errors.ts";
import { uuidv7 } from "@/ids.ts";
import type { Label } from "@/modules/labels/repository.ts";
import { aQuery, nextTime } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

function aLabel(organizationId: string, name: string, overrides: Partial<Label> = {}): Label {
  const at = nextTime();
  return {
    id: uuidv7(),
    organizationId,
    name,
    color: "#aa0000",
    description: "",
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

/** LabelRepository, and the queries' side of labels: the same on every adapter. */
export function labelRepositoryContract(kind: StoreKind): void {
  storeTest(kind, "labels: names unique per organization whatever the case", async (s) => {
    const vip = await s.labels.create(aLabel("o", "VIP"));
    await assert.rejects(s.labels.create(aLabel("o", "vip")), ConflictError);
    await s.labels.create(aLabel("other", "vip"));
    assert.deepEqual(await s.labels.get("o", vip.id), vip);
    assert.equal(await s.labels.get("other", vip.id), null);
    assert.deepEqual(await s.labels.findByName("o", "vIp"), vip);
    assert.equal(await s.labels.findByName("o", "nope"), null);
    const billing = await s.labels.create(aLabel("o", "billing"));
    const page = await s.labels.list("o", { page: 1, limit: 10 });
    assert.equal(page.total, 2);
    assert.deepEqual(page.data.map((l) => l.name), ["billing", "VIP"]);
    assert.deepEqual(
      (await s.labels.getMany("o", [vip.id, billing.id, "missing"])).map((l) => l.id).sort(),
      [vip.id, billing.id].sort(),
    );
    assert.deepEqual(await s.labels.getMany("other", [vip.id]), []);
    assert.deepEqual(await s.labels.getMany("o", []), []);
  });

  storeTest(kind, "labels: update renames (refusing a taken name), delete once", async (s) => {
    const vip = await s.labels.create(aLabel("o", "vip"));
    await s.labels.create(aLabel("o", "billing"));
    const renamed = await s.labels.update("o", vip.id, { name: "Gold", color: "#ffd700" });
    assert.equal(renamed?.name, "Gold");
    assert.equal(renamed?.color, "#ffd700");
    assert.deepEqual(await s.labels.findByName("o", "gold"), renamed);
    assert.equal(await s.labels.findByName("o", "vip"), null);
    await assert.rejects(s.labels.update("o", vip.id, { name: "BILLING" }), ConflictError);
    assert.equal(await s.labels.update("other", vip.id, { name: "x" }), null);
    assert.equal(await s.labels.delete("other", vip.id), false);
    assert.equal(await s.labels.delete("o", vip.id), true);
    assert.equal(await s.labels.delete("o", vip.id), false);
    assert.equal(await s.labels.get("o", vip.id), null);
  });

  storeTest(kind, "queries: list by label, and a deleted label taken off them", async (s) => {
    const [a, b] = ["label-a", "label-b"];
    const both = await s.queries.create(aQuery("o", { labels: [a, b] }));
    const onlyA = await s.queries.create(aQuery("o", { labels: [a] }));
    await s.queries.create(aQuery("o", { labels: [] }));
    await s.queries.create(aQuery("other", { labels: [a] }));
    const sort = { field: "createdAt", order: "asc" } as const;
    const page = { page: 1, limit: 10 };
    const ids = async (label: string, org = "o") =>
      (await s.queries.list(org, { label }, sort, page)).data.map((q) => q.id);
    assert.deepEqual(await ids(a), [both.id, onlyA.id]);
    assert.deepEqual(await ids(b), [both.id]);
    assert.equal((await s.queries.list("o", { label: a }, sort, page)).total, 2);
    await s.queries.update("o", onlyA.id, {}, { labels: [b] });
    assert.deepEqual(await ids(a), [both.id], "the label index follows an update");
    assert.deepEqual(await ids(b), [both.id, onlyA.id]);
    assert.equal(await s.queries.removeLabel("o", b), 2);
    assert.deepEqual((await s.queries.findById("o", both.id))?.labels, [a]);
    assert.deepEqual((await s.queries.findById("o", onlyA.id))?.labels, []);
    assert.deepEqual(await ids(b), []);
    assert.equal((await s.queries.list("other", { label: a }, sort, page)).total, 1);
  });
}
