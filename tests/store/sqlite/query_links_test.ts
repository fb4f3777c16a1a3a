import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openStore } from "@/store/store.ts";
import { aQuery } from "@tests/contract/fixtures.ts";

Deno.test("0840_query_links_delete: a deleted query leaves no tag, label or search rows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-links-" });
  const path = join(dir, "links.db");
  const store = await openStore({ kind: "sqlite", path });
  try {
    const kept = await store.queries.create(aQuery("o", { tags: ["vip"], labels: ["l1"] }));
    const gone = await store.queries.create(
      aQuery("o", { tags: ["vip"], labels: ["l1"], title: "Unique zebra title" }),
    );
    const db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout = 5000");
    db.prepare("DELETE FROM queries WHERE id = ?").run(gone.id);
    const left = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
    assert.equal(left("SELECT count(*) AS n FROM query_tags"), 1);
    assert.equal(left("SELECT count(*) AS n FROM query_labels"), 1);
    assert.equal(left("SELECT count(*) AS n FROM query_search WHERE body MATCH '\"zebra\"'"), 0);
    db.close();
    const sort = { field: "createdAt", order: "asc" } as const;
    for (const filter of [{ tag: "vip" }, { label: "l1" }]) {
      const page = await store.queries.list("o", filter, sort, { page: 1, limit: 20 });
      assert.deepEqual([page.data.map((q) => q.id), page.total], [[kept.id], 1]);
    }
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
