import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import type { Role } from "@/modules/users/repository.ts";

const changedChannel = "auth:user-changed";
/**
 * A state is trusted without news from the bus for one to two ticks (5 to 10 s), so a lost
 * message heals in that time. Ticks, not clock reads: the hot path reads no clock for this.
 */
const tickMs = 5_000;
const cacheLimit = 10_000;

/** What requests of a user act with: the stored account, and what refuses their tokens. */
export interface UserState {
  active: boolean;
  role: Role;
  orgId: string | null;
  /** Sessions whose tokens are refused (logout, a replayed refresh token). */
  endedSessions: ReadonlySet<string>;
  /** Tokens issued at or before `at` (ms) are refused, except those of the session `keep`. */
  cutoffs: readonly { at: number; keep: string | null }[];
  /** The tick it was read in. */
  readAt: number;
}

export interface UserStates {
  /** The user's state while it is fresh, without waiting; undefined otherwise. */
  cached(userId: string): UserState | undefined;
  /** The user's state read from the store now (and cached); null for no such user here. */
  load(userId: string, orgId: string | null): Promise<UserState | null>;
  /** Forgets the user's state here and on every instance (a role, status or session change). */
  changed(userId: string): Promise<void>;
  /** Calls `listener` whenever a user's state is forgotten, here or by another instance. */
  onChange(listener: (userId: string) => void): void;
  /** Subscribes to the changes other instances publish and starts the ticks. */
  start(): Promise<void>;
  /** Stops the ticks. */
  stop(): void;
}

/**
 * A bounded cache of users' stored state, so an authenticated request reads the store only
 * when a user is new here, was changed (on any instance: the bus says so at once), or has not
 * been read for 5 to 10 seconds.
 */
export function createUserStates(deps: Pick<Deps, "store" | "bus" | "clock" | "log">): UserStates {
  const states = new Map<string, UserState>();
  const loading = new Map<string, { orgId: string | null; promise: Promise<UserState | null> }>();
  const listeners: ((userId: string) => void)[] = [];
  let tick = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;

  function forget(userId: string) {
    states.delete(userId);
    loading.delete(userId);
    for (const listener of listeners) {
      try {
        listener(userId);
      } catch (err) {
        deps.log.error("user change listener failed", { error: String(err) });
      }
    }
  }

  async function read(userId: string, orgId: string | null): Promise<UserState | null> {
    const [user, revocations] = await Promise.all([
      deps.store.users.findById(orgId, userId),
      deps.store.revocations.forUser(userId, deps.clock.now().toISOString()),
    ]).catch(() => {
      // A caller whose account cannot be read is not accepted: 503, not a 500.
      throw new AppError("UNAVAILABLE", "Sessions cannot be checked right now; retry shortly", {
        headers: { "Retry-After": "5" },
      });
    });
    if (!user) return null;
    const endedSessions = new Set<string>();
    const cutoffs: { at: number; keep: string | null }[] = [];
    for (const r of revocations) {
      if (r.kind === "session" && r.sessionId) endedSessions.add(r.sessionId);
      if (r.kind === "user") cutoffs.push({ at: Date.parse(r.at), keep: r.sessionId });
    }
    return {
      active: user.active,
      role: user.role,
      orgId: user.organizationId,
      endedSessions,
      cutoffs,
      readAt: tick,
    };
  }

  return {
    cached(userId) {
      const state = states.get(userId);
      return state && tick - state.readAt <= 1 ? state : undefined;
    },
    load(userId, orgId) {
      const pending = loading.get(userId);
      if (pending?.orgId === orgId) return pending.promise;
      // Another organization than the pending read's: a token that does not match the account.
      if (pending) {
        return read(userId, orgId).then((state) => state?.orgId === orgId ? state : null);
      }
      const p: Promise<UserState | null> = read(userId, orgId).then((state) => {
        // A change that arrived while reading dropped this load: its result may be stale.
        if (loading.get(userId)?.promise === p) {
          loading.delete(userId);
          if (state) {
            states.delete(userId);
            if (states.size >= cacheLimit) states.delete(states.keys().next().value!);
            states.set(userId, state);
          }
        }
        return state;
      }, (err) => {
        if (loading.get(userId)?.promise === p) loading.delete(userId);
        throw err;
      });
      loading.set(userId, { orgId, promise: p });
      return p;
    },
    async changed(userId) {
      forget(userId);
      // The change is stored already: without the bus, other instances see it within two ticks.
      await deps.bus.publish(changedChannel, { userId }).catch((err) =>
        deps.log.warn("user change not published", { userId, error: String(err) })
      );
    },
    onChange(listener) {
      listeners.push(listener);
    },
    async start() {
      ticker ??= setInterval(() => tick++, tickMs);
      Deno.unrefTimer(ticker);
      await deps.bus.subscribe(changedChannel, (payload) => {
        const userId = (payload as { userId?: unknown } | null)?.userId;
        if (typeof userId === "string") forget(userId);
      });
    },
    stop() {
      clearInterval(ticker);
      ticker = undefined;
    },
  };
}
