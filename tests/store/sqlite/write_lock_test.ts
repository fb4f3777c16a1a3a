import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openStore, type Store } from "@/store/store.ts";
import { aNewMessage } from "@tests/contract/fixtures.ts";
import { roomReadId } from "@/modules/chat/repository.ts";

/**
 * Two instances (or the API and a job) may share one SQLite file. While one writes, SQLite's busy
 * handler makes the other's writer sleep in its thread, and that thread serves all of the
 * instance's sockets and requests. The chat's writes (a message, a read position) wait for the
 * lock with the event loop free instead.
 */
async function aStoreAndAnotherInstance() {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "chatcrm.db");
  const store = await openStore({ kind: "sqlite", path });
  // The other instance: its own connection to the same file, holding the write lock.
  const other = new DatabaseSync(path);
  other.exec("BEGIN IMMEDIATE");
  return {
    store,
    other,
    async close() {
      try {
        other.exec("ROLLBACK");
      } catch {
        // committed already
      }
      other.close();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Counts event-loop turns while `work` is pending; the other instance commits after `holdMs`. */
async function whileLocked<T>(
  other: DatabaseSync,
  holdMs: number,
  work: () => Promise<T>,
): Promise<{ result: T; turns: number; waitedMs: number }> {
  let turns = 0;
  const ticker = setInterval(() => turns++, 10);
  const release = setTimeout(() => other.exec("COMMIT"), holdMs);
  const started = performance.now();
  try {
    const result = await work();
    return { result, turns, waitedMs: performance.now() - started };
  } finally {
    clearInterval(ticker);
    clearTimeout(release);
  }
}

async function roomOf(store: Store, roomId: string) {
  return (await store.messages.list("o1", roomId, { limit: 10 })).map((m) => [m.seq, m.text]);
}

Deno.test("messages.append() waits for another instance's write lock without holding the event loop", async () => {
  const t = await aStoreAndAnotherInstance();
  try {
    const { result, turns, waitedMs } = await whileLocked(t.other, 300, () =>
      Promise.all([
        t.store.messages.append(aNewMessage("r1", "first"), { markRead: true }),
        t.store.messages.append(aNewMessage("r1", "second")),
      ]));
    // On the old code the thread slept in SQLite for the whole busy timeout: no timer could
    // fire, so the other instance never committed and the append failed as "database is locked".
    assert.ok(waitedMs >= 250, `waited ${waitedMs} ms: the lock was not held`);
    assert.ok(turns >= 10, `the event loop turned ${turns} times in ${waitedMs} ms`);
    assert.deepEqual(result.map((m) => m.seq), [1, 2], "in the order they were asked");
    assert.deepEqual(await roomOf(t.store, "r1"), [[1, "first"], [2, "second"]]);
    const read = await t.store.documents("room_reads").get("o1", roomReadId("r1", "u1"));
    assert.equal((read as { seq?: number } | null)?.seq, 1);
  } finally {
    await t.close();
  }
});

Deno.test("messages.raiseRead() waits for another instance's write lock without holding the event loop", async () => {
  const t = await aStoreAndAnotherInstance();
  try {
    const read = {
      id: roomReadId("r1", "u2"),
      organizationId: "o1",
      roomId: "r1",
      userId: "u2",
      seq: 4,
      customerSeq: 4,
      at: new Date().toISOString(),
    };
    const { result, turns, waitedMs } = await whileLocked(
      t.other,
      300,
      () => t.store.messages.raiseRead(read),
    );
    assert.ok(waitedMs >= 250, `waited ${waitedMs} ms: the lock was not held`);
    assert.ok(turns >= 10, `the event loop turned ${turns} times in ${waitedMs} ms`);
    assert.equal(result.raised, true);
    assert.equal(result.read.seq, 4);
    // Lower positions still lose once the lock is free again.
    const lower = await t.store.messages.raiseRead({ ...read, seq: 2, customerSeq: 2 });
    assert.deepEqual([lower.raised, lower.read.seq], [false, 4]);
  } finally {
    await t.close();
  }
});

Deno.test("a write that finds the write lock free commits in the same turn", async () => {
  const t = await aStoreAndAnotherInstance();
  try {
    t.other.exec("COMMIT");
    let turned = false;
    setTimeout(() => turned = true, 0);
    const pending = t.store.messages.append(aNewMessage("r2", "now"));
    // Stored before anything else ran: a reader on the other connection sees it at once.
    const row = t.other.prepare("SELECT count(*) AS n FROM messages").get() as { n: number };
    assert.equal(Number(row.n), 1);
    assert.equal(turned, false);
    assert.equal((await pending).seq, 1);
  } finally {
    await t.close();
  }
});
