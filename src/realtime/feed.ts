import type { Message } from "@/modules/chat/repository.ts";
import type { Logger } from "@/log.ts";

/** Reads a room's stored messages after `afterSeq`, ascending: the store is the truth. */
export type ReadAfter = (afterSeq: number, limit: number) => Promise<Message[]>;

export interface FeedOptions {
  read: ReadAfter;
  /** Receives every message once, in seq order. */
  emit: (message: Message) => void;
  log: Logger;
  /**
   * How long a missing seq is waited for before it is taken as never stored. Both stores take a
   * seq and write its message in one step today; this guards rooms written by older versions,
   * whose MongoDB adapter took the seq first (a crash in between left a hole).
   */
  holeMs?: number;
}

/** Held messages are dropped past this many: they are in the store and read from it instead. */
const maxHeld = 5000;
const page = 200;

/**
 * One room's messages on this instance, in seq order and with no gap, from whatever offers them
 * (the bus, this instance's own sends, the periodic and after-failure checks). A seq that arrives
 * ahead of its predecessor is held while the missing ones are read from the store and sent first.
 */
export class RoomFeed {
  /** Last seq emitted: everything up to it went out, in order. */
  head: number;
  /** The message of `head`, once one was emitted here. */
  last: Message | null = null;
  /** Seqs taken as never stored (holes), so sockets catching up from the store may skip them. */
  readonly #holes = new Set<number>();
  readonly #held = new Map<number, Message>();
  #filling: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(start: number, private readonly o: FeedOptions) {
    this.head = start;
  }

  /** A message from anywhere; repeats and old ones are ignored. */
  offer(message: Message): void {
    if (message.seq <= this.head || this.#stopped) return;
    if (message.seq === this.head + 1) {
      this.#emit(message);
      this.#drain();
      return;
    }
    if (this.#held.size < maxHeld) this.#held.set(message.seq, message);
    void this.catchUp();
  }

  /** Reads what follows the head from the store and emits it (one read at a time). */
  catchUp(): Promise<void> {
    if (this.#filling) {
      this.#again = true;
      return this.#filling;
    }
    this.#filling = (async () => {
      try {
        do {
          this.#again = false;
          await this.#fill();
        } while (this.#again && !this.#stopped);
      } catch (err) {
        this.o.log.warn("room catch-up failed; retried on the next check", {
          error: String(err),
        });
      } finally {
        this.#filling = null;
      }
    })();
    return this.#filling;
  }

  /** Whether every seq strictly between `from` and `to` is a known hole. */
  holesBetween(from: number, to: number): boolean {
    for (let s = from + 1; s < to; s++) if (!this.#holes.has(s)) return false;
    return true;
  }

  /** Stops emitting (the room has no member left here). */
  stop(): void {
    this.#stopped = true;
    this.#held.clear();
  }

  #emit(message: Message) {
    this.head = message.seq;
    this.last = message;
    this.o.emit(message);
  }

  #drain() {
    for (let next = this.#held.get(this.head + 1); next; next = this.#held.get(this.head + 1)) {
      this.#held.delete(next.seq);
      this.#emit(next);
    }
    if (this.#held.size > 0) {
      for (const seq of this.#held.keys()) if (seq <= this.head) this.#held.delete(seq);
    }
  }

  async #fill() {
    const holeMs = this.o.holeMs ?? 5000;
    let since = Date.now();
    let waitMs = 10;
    while (!this.#stopped) {
      const batch = await this.o.read(this.head, page);
      const before = this.head;
      let ahead: number | undefined;
      for (const message of batch) {
        if (message.seq <= this.head) continue;
        if (message.seq !== this.head + 1) {
          ahead = message.seq;
          break;
        }
        this.#emit(message);
        this.#drain();
      }
      this.#drain();
      const lowestHeld = this.#held.size ? Math.min(...this.#held.keys()) : undefined;
      ahead ??= lowestHeld;
      if (this.head > before) {
        since = Date.now();
        waitMs = 10;
        if (batch.length === page || ahead !== undefined) continue;
        return;
      }
      if (ahead === undefined) return;
      if (Date.now() - since >= holeMs) {
        this.o.log.warn("seqs never stored; skipped", { from: this.head + 1, to: ahead - 1 });
        for (let s = this.head + 1; s < ahead; s++) this.#holes.add(s);
        if (this.#holes.size > 1000) this.#holes.delete(this.#holes.values().next().value!);
        this.head = ahead - 1;
        this.#drain();
        continue;
      }
      await new Promise((r) => setTimeout(r, waitMs));
      waitMs = Math.min(waitMs * 2, 500);
    }
  }
}
