import assert from "node:assert/strict";
import { join } from "node:path";
import { openSqlite } from "@/store/sqlite/db.ts";
import { startCheckpointer } from "@/store/sqlite/checkpointer.ts";
import { openSqliteStore } from "@/store/sqlite/store.ts";
import { uuidv7 } from "@/ids.ts";
import { within } from "@tests/helpers/within.ts";

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

Deno.test("startBackground() on the SQLite store checkpoints from the start, not after 200 writes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-checkpoint-" });
  const path = join(dir, "chatcrm.db");
  const store = openSqliteStore(path);
  try {
    store.startBackground!();
    // Well under SQLite's own 1,000-page checkpoint and the 200 writes that start the worker
    // otherwise: only the worker copies these pages into the database file.
    for (let seq = 1; seq <= 20; seq++) {
      await store.messages.append({
        id: uuidv7(),
        organizationId: "o1",
        roomId: "r1",
        senderId: "u1",
        senderRole: "Customer",
        type: "text",
        text: `${seq} ${"x".repeat(40_000)}`,
        fileId: null,
        clientMessageId: `m${seq}`,
        email: null,
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
      });
    }
    const before = (await Deno.stat(path)).size;
    await within(
      10_000,
      (async () => {
        while ((await Deno.stat(path)).size < before + 500_000) {
          await new Promise((r) => setTimeout(r, 50));
        }
      })(),
      "the database file did not grow by the messages' pages",
    );
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
