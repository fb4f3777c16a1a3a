import assert from "node:assert/strict";
import { join } from "node:path";
import { openSqlite } from "@/store/sqlite/db.ts";
import { startCheckpointer } from "@/store/sqlite/checkpointer.ts";

Deno.test("startCheckpointer() copies the WAL into the database file from a worker", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-checkpoint-" });
  const path = join(dir, "test.db");
  const db = openSqlite(path);
  db.exec("PRAGMA wal_autocheckpoint = 0");
  db.exec("CREATE TABLE blobs (body TEXT)");
  const insert = db.prepare("INSERT INTO blobs (body) VALUES (?)");
  for (let i = 0; i < 256; i++) insert.run("x".repeat(4096));
  const before = (await Deno.stat(path)).size;
  const checkpointer = startCheckpointer(path, 20);
  try {
    let after = before;
    for (let i = 0; i < 100 && after < before + 1_000_000; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = (await Deno.stat(path)).size;
    }
    assert.ok(after >= before + 1_000_000, `database file ${before} → ${after} bytes`);
  } finally {
    checkpointer.stop();
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startCheckpointer() reports a failing worker instead of throwing in the process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-checkpoint-" });
  try {
    const failed = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no error reported")), 5000);
      startCheckpointer(join(dir, "missing", "test.db"), 20, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
    assert.match(failed, /open/i);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
