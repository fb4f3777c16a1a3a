import type { Store } from "@/store/store.ts";
import { testStore } from "@tests/helpers/app.ts";
import { skipMongo } from "@tests/helpers/mongo.ts";

export type StoreKind = "sqlite" | "mongo";

/**
 * Registers one contract test for a store kind: a fresh store (its own SQLite file, or its own
 * MongoDB database) per test, closed afterwards. MongoDB tests skip without a server, outside CI.
 */
export function storeTest(
  kind: StoreKind,
  name: string,
  fn: (store: Store) => Promise<void>,
): void {
  Deno.test({
    name: `[${kind}] ${name}`,
    ignore: kind === "mongo" && skipMongo,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const store = await testStore(kind);
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    },
  });
}
