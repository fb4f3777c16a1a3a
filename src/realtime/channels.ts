import type { Bus, Unsubscribe } from "@/bus/bus.ts";
import type { Logger } from "@/log.ts";

/** A bus subscription shared by the members of this instance that need it. */
interface Shared<M> {
  members: Set<M>;
  /** The subscription, or null when subscribing failed (then retried by `retry`). */
  ready: Promise<Unsubscribe | null>;
}

/**
 * Bus subscriptions counted by member: the first member of a channel subscribes, the last one
 * to leave unsubscribes. A failed subscribe or unsubscribe is logged and never leaves a
 * rejected promise behind; `retry` subscribes the failed ones again.
 */
export class Channels<M> {
  readonly #subs = new Map<string, Shared<M>>();
  readonly #failed = new Set<string>();

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly onEvent: (channel: string, payload: unknown, members: Set<M>) => void,
  ) {}

  #subscribe(channel: string, members: Set<M>): Promise<Unsubscribe | null> {
    return this.bus.subscribe(channel, (payload) => this.onEvent(channel, payload, members))
      .catch((err) => {
        this.log.warn("bus subscribe failed; retried on the next check", {
          channel,
          error: String(err),
        });
        this.#failed.add(channel);
        return null;
      });
  }

  /** Adds a member; resolves once the channel's subscription was attempted. */
  async add(channel: string, member: M): Promise<void> {
    let shared = this.#subs.get(channel);
    if (!shared) {
      const members = new Set<M>();
      shared = { members, ready: this.#subscribe(channel, members) };
      this.#subs.set(channel, shared);
    }
    shared.members.add(member);
    await shared.ready;
  }

  /** Removes a member; the last one unsubscribes. Never throws. */
  async remove(channel: string, member: M): Promise<void> {
    const shared = this.#subs.get(channel);
    if (!shared || !shared.members.delete(member) || shared.members.size > 0) return;
    this.#subs.delete(channel);
    this.#failed.delete(channel);
    const unsubscribe = await shared.ready;
    await unsubscribe?.().catch((err) =>
      this.log.warn("bus unsubscribe failed", { channel, error: String(err) })
    );
  }

  /** Subscribes again the channels whose subscription failed; resolves with how many. */
  async retry(): Promise<number> {
    const again = [...this.#failed];
    this.#failed.clear();
    for (const channel of again) {
      const shared = this.#subs.get(channel);
      if (!shared || await shared.ready) continue;
      shared.ready = this.#subscribe(channel, shared.members);
    }
    return again.length;
  }

  /** Channels subscribed (or being subscribed) here. */
  get size(): number {
    return this.#subs.size;
  }
}
