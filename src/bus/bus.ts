/** Receives a published payload (already JSON-decoded) and the channel it came on. */
export type BusHandler = (payload: unknown, channel: string) => void;

/** Stops a subscription. */
export type Unsubscribe = () => Promise<void>;

/** Publish/subscribe between instances (in-process, or Redis when REDIS_URL is set). */
export interface Bus {
  readonly kind: "memory" | "redis";
  /** Sends a JSON-serialisable payload to every subscriber of the channel, on every instance. */
  publish(channel: string, payload: unknown): Promise<void>;
  /** Calls `handler` for every payload on the channel; resolves once the subscription is live. */
  subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe>;
  /** Resolves when the bus answers; rejects otherwise. */
  ping(): Promise<void>;
  /**
   * Calls `fn` each time the bus is whole again after a failure that may have lost payloads (a
   * dropped or closed subscriber connection, a publish that failed here or on another instance):
   * subscriptions are live again, and listeners catch up from the store.
   */
  onRestored(fn: () => void): void;
  /** Drops every subscription and connection. */
  close(): Promise<void>;
}

/** Counters and short-lived keys shared by every instance (rate limits, revocations, presence). */
export interface SharedState {
  /** Adds one to a counter whose window starts at its first increment; returns count and ms left. */
  increment(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  /** The value of a key, or null when missing or expired. */
  get(key: string): Promise<string | null>;
  /** Sets a key, expiring after `ttlMs` when given. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets the key only when it does not exist; true when this call set it (a lease). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Removes keys. */
  delete(...keys: string[]): Promise<void>;
  /** Adds or refreshes a member of a scored set (presence: member per socket owner, score = expiry). */
  setMember(key: string, member: string, score: number): Promise<void>;
  /**
   * Counts the members scored above `liveAbove`, then adds or refreshes `member`, in one atomic
   * step; resolves with the count from before (presence's "was anyone connected already?").
   */
  addMember(key: string, member: string, score: number, liveAbove: number): Promise<number>;
  /** Removes a member; true when this call removed it (so one remover acts on it). */
  removeMember(key: string, member: string): Promise<boolean>;
  /** Members with a score at or below `maxScore` (expired ones), lowest first. */
  membersUpTo(key: string, maxScore: number): Promise<string[]>;
  /** Every member with its score. */
  members(key: string): Promise<{ member: string; score: number }[]>;
}

/** Channel names, built and read in one place, so both adapters and every feature agree. */
export const channels = {
  org: (orgId: string) => `org:${orgId}`,
  user: (userId: string) => `user:${userId}`,
  room: (roomId: string) => `room:${roomId}`,
  /** The room of a `room:` channel, or null for any other channel. */
  roomOf: (channel: string): string | null =>
    channel.startsWith("room:") ? channel.slice("room:".length) : null,
  /** Whether the channel is an organization's (seen by its staff only). */
  isOrg: (channel: string): boolean => channel.startsWith("org:"),
};

/** Calls one handler; a handler that throws is reported (with its stack) and never stops the others. */
export function deliver(handler: BusHandler, payload: unknown, channel: string): void {
  try {
    handler(payload, channel);
  } catch (err) {
    console.error(JSON.stringify({
      time: new Date().toISOString(),
      level: "error",
      msg: "bus handler failed",
      channel,
      error: String(err),
      ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
    }));
  }
}
