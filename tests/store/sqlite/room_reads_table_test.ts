import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { migrations } from "@/store/sqlite/migrations.ts";
import { migrate } from "@/store/sqlite/db.ts";
import { openStore } from "@/store/store.ts";
import { type RoomRead, roomReadId } from "@/modules/chat/repository.ts";

const read = (orgId: string, roomId: string, userId: string, seq: number): RoomRead => ({
  id: roomReadId(roomId, userId),
  organizationId: orgId,
  roomId,
  userId,
  seq,
  customerSeq: seq,
  at: "2026-12-01T10:00:00.000Z",
});

/**
 * Two read positions are written per chat message, and in the shared `documents` table each
 * write kept four b-trees, every one of them read again from the OS after another instance's
 * write to the file. Migration 0860 moves them to a table of their own, keyed only.
 */
Deno.test("0860_room_reads_table on SQLite: read positions move to their own table, every one kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-room-reads-" });
  try {
    const path = join(dir, "old.db");
    const db = new DatabaseSync(path);
    // A file from before 0860: every migration before it, none after.
    migrate(db, migrations.filter((m) => m.name.localeCompare("0860_room_reads_table") < 0));
    const old = [
      read("org-a", "r1", "u1", 4),
      read("org-a", "r1", "u2", 2),
      read("org-b", "r9", "u1", 7),
    ];
    const insert = db.prepare(
      "INSERT INTO documents (collection, id, org_id, doc) VALUES (?, ?, ?, ?)",
    );
    for (const r of old) insert.run("room_reads", r.id, r.organizationId, JSON.stringify(r));
    insert.run("labels", "l1", "org-a", JSON.stringify({ id: "l1", organizationId: "org-a" }));
    db.close();

    const store = await openStore({ kind: "sqlite", path });
    try {
      const reads = store.documents("room_reads");
      assert.deepEqual(await reads.get("org-a", old[0]!.id), old[0]);
      assert.equal(await reads.get("org-b", old[0]!.id), null, "another tenant's id");
      const ofU1 = await reads.find("org-a", {
        where: { userId: "u1" },
        sort: [],
        page: { page: 1, limit: 10 },
      });
      assert.deepEqual(ofU1.data, [old[0]]);
      const raised = await store.messages.raiseRead({ ...old[1]!, seq: 3, customerSeq: 3 });
      assert.equal(raised.raised, true);
      const lower = await store.messages.raiseRead({ ...old[0]!, seq: 1, customerSeq: 1 });
      assert.deepEqual(lower, { read: old[0], raised: false }, "never lowered");
      assert.deepEqual((await reads.getMany("org-a", [old[1]!.id]))[0]?.seq, 3);
    } finally {
      await store.close();
    }

    const after = new DatabaseSync(path);
    try {
      const left = after.prepare(
        "SELECT collection, count(*) AS n FROM documents GROUP BY collection ORDER BY collection",
      ).all().map((r) => ({ ...r }));
      assert.deepEqual(left, [{ collection: "labels", n: 1 }], "none left in documents");
      const indexes = after.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'room_reads'",
      ).all();
      assert.deepEqual(indexes, [], "a position's write keeps only its key's b-tree");
    } finally {
      after.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
