import assert from "node:assert/strict";
import { createFlusher } from "@/realtime/wire.ts";

/**
 * One flush schedule serves every batched socket of a hub, from a timer when WS_BATCH_DELAY_MS is
 * set: a socket whose flush throws (its error callback failing, say) must neither end the process
 * from that timer nor keep the other sockets' frames from going out.
 */
for (const delayMs of [0, 5]) {
  Deno.test(`createFlusher(${delayMs}): a flush that throws leaves the others flushed and the process up`, async () => {
    const errors: unknown[] = [];
    const flusher = createFlusher(delayMs, (err) => errors.push(err));
    const flushed: string[] = [];
    // The flusher's timer does not hold a process open (a server's sockets do): this test does.
    const open = setTimeout(() => {}, 5_000);
    const done = Promise.withResolvers<void>();
    flusher.schedule(() => {
      flushed.push("a");
    });
    flusher.schedule(() => {
      throw new Error("a socket's error callback failed");
    });
    flusher.schedule(() => {
      flushed.push("c");
      done.resolve();
    });
    await done.promise;
    assert.deepEqual(flushed, ["a", "c"]);
    assert.equal(errors.length, 1);
    // The schedule keeps working after it.
    const again = Promise.withResolvers<void>();
    flusher.schedule(() => again.resolve());
    await again.promise;
    clearTimeout(open);
  });
}
