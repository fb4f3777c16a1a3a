import assert from "node:assert/strict";
import type { Notification } from "@/modules/notifications/service.ts";
import { uuidv7 } from "@/ids.ts";
import type { Documents } from "@/store/documents.ts";
import { ConflictError } from "@/errors.ts";
import { type Team, teamNameKey } from "@/modules/teams/model.ts";
import { nextTime } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

function aNotification(orgId: string, overrides: Partial<Notification> = {}): Notification {
  return {
    id: uuidv7(),
    organizationId: orgId,
    userId: "u1",
    type: "query-assigned",
    title: "Q-000001 assigned to you",
    body: "Cannot log in",
    data: { queryId: "q1" },
    read: false,
    readAt: null,
    createdAt: nextTime(),
    ...overrides,
  };
}

const page = { page: 1, limit: 20 };

/** Documents: the generic store of small resources, the same on every adapter. */
export function documentsContract(kind: StoreKind): void {
  storeTest(kind, "documents insert, get and delete within the organization", async (s) => {
    const docs = s.documents("notifications");
    const n = aNotification("o");
    assert.deepEqual(await docs.insert(n), n);
    assert.deepEqual(await docs.get("o", n.id), n);
    assert.equal(await docs.get("p", n.id), null);
    assert.equal(await docs.delete("p", n.id), false);
    assert.equal(await docs.delete("o", n.id), true);
    assert.equal(await docs.get("o", n.id), null);
  });

  storeTest(kind, "documents insert refuses a taken id with ConflictError", async (s) => {
    const docs = s.documents("notifications");
    const n = await docs.insert(aNotification("o"));
    await assert.rejects(docs.insert({ ...n, title: "again" }), ConflictError);
    await assert.rejects(docs.insert({ ...n, organizationId: "p" }), ConflictError);
    assert.deepEqual(await docs.get("o", n.id), n);
    assert.equal(await docs.get("p", n.id), null);
  });

  storeTest(kind, "documents getMany reads the organization's ids at once", async (s) => {
    const docs = s.documents("notifications");
    const a = await docs.insert(aNotification("o"));
    const b = await docs.insert(aNotification("o"));
    const theirs = await docs.insert(aNotification("p"));
    const got = await docs.getMany("o", [b.id, a.id, theirs.id, "missing"]);
    assert.deepEqual(got.map((d) => d.id).sort(), [a.id, b.id].sort());
    assert.deepEqual(got.find((d) => d.id === a.id), a);
    assert.deepEqual(await docs.getMany("o", []), []);
  });

  storeTest(kind, "documents find by equality, text and array membership, sorted", async (s) => {
    const docs = s.documents("notifications") as unknown as Documents<
      Notification & { tags: string[] }
    >;
    const a = await docs.insert({ ...aNotification("o", { title: "Refund 100%" }), tags: ["x"] });
    const b = await docs.insert({ ...aNotification("o", { read: true }), tags: [] });
    const c = await docs.insert({ ...aNotification("o", { userId: "u2" }), tags: ["x", "y"] });
    await docs.insert({ ...aNotification("p"), tags: ["x"] });
    const ids = async (o: Parameters<typeof docs.find>[1]) =>
      (await docs.find("o", o)).data.map((d) => d.id);
    assert.deepEqual(await ids({ sort: [["createdAt", "asc"]], page }), [a.id, b.id, c.id]);
    assert.deepEqual(await ids({ where: { userId: "u1" }, sort: [["createdAt", "desc"]], page }), [
      b.id,
      a.id,
    ]);
    assert.deepEqual(
      await ids({ where: { userId: "u1" }, sort: [["read", "asc"], ["createdAt", "desc"]], page }),
      [a.id, b.id],
    );
    assert.deepEqual(
      await ids({ where: { read: false, readAt: null }, sort: [["createdAt", "asc"]], page }),
      [
        a.id,
        c.id,
      ],
    );
    assert.deepEqual(
      await ids({ text: { fields: ["title", "body"], value: "100%" }, sort: [], page }),
      [a.id],
    );
    assert.deepEqual(
      await ids({ contains: { field: "tags", value: "x" }, sort: [["createdAt", "asc"]], page }),
      [a.id, c.id],
    );
    const paged = await docs.find("o", {
      sort: [["createdAt", "asc"]],
      page: { page: 2, limit: 2 },
    });
    assert.deepEqual(paged.data.map((d) => d.id), [c.id]);
    assert.equal(paged.total, 3);
  });

  storeTest(kind, "documents update only when the expectation holds", async (s) => {
    const docs = s.documents("notifications");
    const n = await docs.insert(aNotification("o"));
    const at = nextTime();
    const read = await docs.update("o", n.id, { read: true, readAt: at }, { read: false });
    assert.equal(read?.readAt, at);
    assert.equal(read?.title, n.title);
    assert.equal(await docs.update("o", n.id, { read: true }, { read: false }), null);
    assert.equal(await docs.update("p", n.id, { title: "x" }), null);
    const results = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => docs.update("o", n.id, { body: `b${i}` }, { body: n.body }),
      ),
    );
    assert.equal(results.filter((r) => r !== null).length, 1);
  });

  storeTest(kind, "documents updateMany changes matching documents and counts them", async (s) => {
    const docs = s.documents("notifications");
    await docs.insert(aNotification("o"));
    await docs.insert(aNotification("o"));
    await docs.insert(aNotification("o", { userId: "u2" }));
    await docs.insert(aNotification("p"));
    assert.equal(await docs.updateMany("o", { userId: "u1", read: false }, { read: true }), 2);
    assert.equal(await docs.updateMany("o", { userId: "u1", read: false }, { read: true }), 0);
    const unread = await docs.find("o", { where: { read: false }, sort: [], page });
    assert.deepEqual(unread.data.map((d) => d.userId), ["u2"]);
  });

  storeTest(
    kind,
    "teams: a name key is unique in its organization, on insert and update",
    async (s) => {
      const teams = s.documents("teams");
      const aTeam = (orgId: string, name: string): Team => ({
        id: uuidv7(),
        organizationId: orgId,
        name,
        nameKey: teamNameKey(name),
        description: "",
        members: [],
        createdAt: nextTime(),
        updatedAt: nextTime(),
      });
      const billing = await teams.insert(aTeam("o", "Billing"));
      await assert.rejects(teams.insert(aTeam("o", " BILLING")), ConflictError);
      await teams.insert(aTeam("p", "billing"));
      const apps = await teams.insert(aTeam("o", "Äpps"));
      await assert.rejects(teams.insert(aTeam("o", "äPPS")), ConflictError);
      await assert.rejects(
        teams.update("o", apps.id, { name: "billing", nameKey: teamNameKey("billing") }),
        ConflictError,
      );
      assert.deepEqual(await teams.get("o", apps.id), apps, "a refused update changes nothing");
      const renamed = await teams.update("o", billing.id, { name: "billing", nameKey: "billing" });
      assert.equal(renamed?.name, "billing", "its own key again is no conflict");
      const all = await teams.find("o", { sort: [["name", "asc"]], page });
      assert.deepEqual(all.data.map((t) => t.name), ["billing", "Äpps"]);
    },
  );
}
