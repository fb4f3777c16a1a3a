import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore, type Store } from "@/store/store.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, openQuery } from "@tests/helpers/support.ts";

/** The store, with every search of the call records counted. */
async function aCountingStore() {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-test-" });
  const store = await openStore({ kind: "sqlite", path: join(dir, "chatcrm.db") });
  const searches = { calls: 0 };
  const documents = store.documents.bind(store);
  const counting: Store = {
    ...store,
    documents: ((name: string) => {
      const collection = documents(name as never);
      if (name !== "calls") return collection;
      return {
        ...collection,
        find(orgId: string, options: never) {
          searches.calls++;
          return collection.find(orgId, options);
        },
      };
    }) as Store["documents"],
  };
  return { store: counting, dir, searches };
}

Deno.test("calls.dropped() ends a dropped party's live call, and searches no call record for a user in none", async () => {
  const { store, dir, searches } = await aCountingStore();
  const t = await testApp({ store, dataDir: dir });
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk);
    await openQuery(desk);
    const customer = {
      userId: desk.users.Customer.id,
      orgId: desk.org.id,
      role: "Customer" as const,
    };
    const call = await t.services.calls.start(
      customer,
      agent.user.id,
      { type: "offer", sdp: "v=0" },
      "audio",
    );
    assert.equal(call.status, "ringing");

    // The TL is in no call: closing their last socket reads nothing of the call records.
    const before = searches.calls;
    await t.services.calls.dropped(desk.org.id, desk.users.TL.id);
    assert.equal(searches.calls, before);

    // The agent is: their call ends as dropped, and they are free again.
    await t.services.calls.dropped(desk.org.id, agent.user.id);
    assert.ok(searches.calls > before);
    const ended = await t.deps.store.documents("calls").get(desk.org.id, call.id);
    assert.deepEqual(
      [(ended as { status?: string } | null)?.status, (ended as { outcome?: string })?.outcome],
      ["ended", "dropped"],
    );
    const again = await t.services.calls.start(customer, agent.user.id, { sdp: "v=0" }, "audio");
    assert.equal(again.status, "ringing");
  } finally {
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});
