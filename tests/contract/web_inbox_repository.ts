import assert from "node:assert/strict";
import { createWebInboxService, hmacHex } from "@/modules/widget/inboxes.ts";
import { systemClock } from "@/clock.ts";
import { systemIds } from "@/ids.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

/** Web inboxes: made, found by their public token, changed and removed, per organization. */
export function webInboxRepositoryContract(kind: StoreKind): void {
  storeTest(
    kind,
    "web inboxes: found by website token in their own organization only, gone once removed",
    async (s) => {
      const log = { debug() {}, info() {}, warn() {}, error() {} };
      const inboxes = createWebInboxService({
        store: s,
        clock: systemClock,
        ids: systemIds(systemClock),
        log,
        config: { encryptionKey: "a contract test key of 32 characters", dataDir: "" },
      });
      const by = { userId: "u1", orgId: "o1", role: "Admin" as const };
      const made = await inboxes.create(by, {
        name: "Site",
        allowedOrigins: ["https://a.example", "https://a.example"],
        greeting: null,
        outOfHoursMessage: null,
        preChat: { name: "off", email: "required" },
        routeTo: { teamId: null, skill: null },
      });
      assert.deepEqual(made.allowedOrigins, ["https://a.example"]);
      const found = await inboxes.byWebsiteToken(made.websiteToken);
      assert.equal(found?.id, made.id);
      assert.ok(
        await inboxes.verifyIdentifier(found!, "7", await hmacHex(made.hmacSecret, "7")),
      );
      assert.equal(
        await inboxes.byWebsiteToken(made.websiteToken.replace("ccw_o1_", "ccw_o2_")),
        null,
      );
      assert.deepEqual((await inboxes.list("o2", { page: 1, limit: 10 })).data, []);
      await assert.rejects(inboxes.get("o2", made.id));
      const changed = await inboxes.update(by, made.id, { preChat: { name: "required" } });
      assert.deepEqual(changed.preChat, { name: "required", email: "required" });
      await assert.rejects(inboxes.remove({ ...by, orgId: "o2" }, made.id));
      await inboxes.remove(by, made.id);
      assert.equal(await inboxes.byWebsiteToken(made.websiteToken), null);
    },
  );
}
