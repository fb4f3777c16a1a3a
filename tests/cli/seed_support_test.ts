import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { expectStatus } from "@tests/helpers/support.ts";
import { runScript } from "./run.ts";

Deno.test("after deno task seed: queries in every status with rooms; a new query lands, is resolved and rated", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-seed-" });
  try {
    const seeded = await runScript("seed.ts", [], { DATA_DIR: dataDir });
    assert.equal(seeded.code, 0, seeded.stderr);
    const email = (name: string) => `${name.toLowerCase().replace(" ", ".")}@demo.chatcrm.test`;
    const t = await testApp({ dataDir });
    try {
      const login = async (name: string) =>
        (await expectStatus(
          t.call("POST", "/api/v1/auth/login", {
            json: { email: email(name), password: "demo-password" },
          }),
          200,
        )).token as string;
      const admin = await login("Ada Admin");
      const all = await expectStatus(
        t.call("GET", "/api/v1/queries?limit=50", { token: admin }),
        200,
      );
      assert.deepEqual(
        [...new Set(all.data.map((q: { status: string }) => q.status))].sort(),
        ["Assigned", "Closed", "In Progress", "Open", "Resolved"],
      );
      const rooms = await expectStatus(
        t.call("GET", "/api/v1/chat/rooms", { token: await login("Carl Customer") }),
        200,
      );
      assert.ok(rooms.data[0].lastMessage, "the seeded rooms hold messages");

      const customer = await login("Dana Customer");
      const query = await expectStatus(
        t.call("POST", "/api/v1/queries", {
          token: customer,
          json: {
            title: "Refund please",
            description: "Charged for a plan I cancelled",
            skill: "billing",
          },
        }),
        201,
      );
      const alice = (await t.deps.store.users.findAllByEmail(email("Alice Agent"), {
        limit: 1,
        withPassword: true,
      }))[0]!;
      assert.equal(query.assignedTo, alice.id, "the free agent with the billing skill takes it");
      const agent = await login("Alice Agent");
      for (const status of ["In Progress", "Resolved"]) {
        await expectStatus(
          t.call("PUT", `/api/v1/queries/${query.id}/status`, { token: agent, json: { status } }),
          200,
        );
      }
      const rated = await expectStatus(
        t.call("POST", `/api/v1/queries/${query.id}/csat`, {
          token: customer,
          json: { rating: 5, comment: "Quick!" },
        }),
        201,
      );
      assert.equal(rated.csat.rating, 5);
      const again = await t.call("POST", `/api/v1/queries/${query.id}/csat`, {
        token: customer,
        json: { rating: 1 },
      });
      assert.equal(again.status, 409, "rated once");
      await again.body?.cancel();
      const history = await expectStatus(
        t.call("GET", `/api/v1/queries/${query.id}/history`, { token: customer }),
        200,
      );
      assert.deepEqual(history.data.map((e: { action: string }) => e.action), [
        "created",
        "assigned",
        "status",
        "status",
        "csat",
      ]);
    } finally {
      await t.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
