import assert from "node:assert/strict";
import { createApiKeyService } from "@/modules/api_keys/service.ts";
import { systemClock } from "@/clock.ts";
import { systemIds } from "@/ids.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

/** API keys: made, found by the key alone, revoked, and scoped to their organization on every store. */
export function apiKeyRepositoryContract(kind: StoreKind): void {
  storeTest(
    kind,
    "api keys: a key authenticates until revoked, in its own organization only",
    async (s) => {
      const log = { debug() {}, info() {}, warn() {}, error() {} };
      const ids = systemIds(systemClock);
      const keys = createApiKeyService({ store: s, clock: systemClock, ids, log });
      const by = { userId: "u1", role: "Admin" as const };
      const made = await keys.create("o1", by, {
        name: "Bot",
        scopes: ["chat:read"],
        expiresAt: null,
      });
      const caller = await keys.authenticate(made.key, "198.51.100.1");
      assert.deepEqual(caller, {
        keyId: made.id,
        orgId: "o1",
        name: "Bot",
        scopes: ["chat:read"],
        expiresAt: null,
      });
      const stored = await s.documents("api_keys").get("o1", made.id);
      assert.equal(stored?.lastUsedIp, "198.51.100.1");
      // The same key id named under another organization is unknown.
      assert.equal(await keys.authenticate(made.key.replace("ccrm_o1_", "ccrm_o2_"), "x"), null);
      assert.deepEqual((await keys.list("o2", { page: 1, limit: 10 })).data, []);
      await assert.rejects(keys.remove("o2", by, made.id));
      await keys.remove("o1", by, made.id);
      assert.equal(await keys.authenticate(made.key, "x"), null);
    },
  );
}
