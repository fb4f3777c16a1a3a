import assert from "node:assert/strict";
import type { Message } from "@/modules/chat/repository.ts";
import { RoomFeed } from "@/realtime/feed.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const message = (seq: number) => ({ seq, roomId: "r", text: `m${seq}` }) as Message;

/** A feed over an in-memory "store" whose contents the test controls. */
function feedOver(stored: Message[], start = 0, holeMs?: number) {
  const emitted: number[] = [];
  let settle: (() => void) | undefined;
  let until = 0;
  const feed = new RoomFeed(start, {
    read: (afterSeq, limit) =>
      Promise.resolve(stored.filter((m) => m.seq > afterSeq).slice(0, limit)),
    emit: (m) => {
      emitted.push(m.seq);
      if (m.seq >= until) settle?.();
    },
    log: quiet,
    ...(holeMs !== undefined ? { holeMs } : {}),
  });
  /** Resolves once `seq` has been emitted. */
  const reached = (seq: number) =>
    emitted.includes(seq) ? Promise.resolve() : new Promise<void>((resolve) => {
      until = seq;
      settle = resolve;
    });
  return { feed, emitted, reached };
}

Deno.test("RoomFeed emits in seq order once: an early seq waits while the missing ones are read", async () => {
  const stored = [1, 2, 3, 4, 5].map(message);
  const { feed, emitted, reached } = feedOver(stored);
  feed.offer(message(1));
  feed.offer(message(4)); // 2 and 3 were stored, their publishes are late
  await reached(4);
  feed.offer(message(3));
  feed.offer(message(2));
  feed.offer(message(4));
  feed.offer(message(5));
  assert.deepEqual(emitted, [1, 2, 3, 4, 5]);
});

Deno.test("RoomFeed waits for a seq taken but not yet written, then gives it up as a hole", async () => {
  // Seq 2 was taken and never written (a crash between the counter and the insert on MongoDB).
  const stored = [message(1), message(3)];
  const { feed, emitted, reached } = feedOver(stored, 0, 100);
  feed.offer(message(3));
  await reached(3);
  assert.deepEqual(emitted, [1, 3]);
  assert.equal(feed.holesBetween(1, 3), true);
  assert.equal(feed.holesBetween(0, 3), false);
});

Deno.test("RoomFeed.catchUp finds what was stored and never offered (the periodic check)", async () => {
  const stored = [1, 2, 3].map(message);
  const { feed, emitted } = feedOver(stored, 1);
  await feed.catchUp();
  assert.deepEqual(emitted, [2, 3]);
  await feed.catchUp();
  assert.deepEqual(emitted, [2, 3], "nothing twice");
  feed.stop();
  stored.push(message(4));
  feed.offer(message(4));
  assert.deepEqual(emitted, [2, 3], "a stopped feed emits nothing");
});
