import type { Deps } from "@/deps.ts";
import { channels } from "@/bus/bus.ts";
import { notFound } from "@/errors.ts";
import type { Actor } from "@/modules/users/actor.ts";

export type PresenceStatus = "online" | "away" | "offline";

export interface PresenceEvent {
  userId: string;
  status: PresenceStatus;
  lastSeen: string;
}

/** The expiry index: `orgId|userId|instanceId` members, scored by expiry (ms), that sweeps read. */
const presenceKey = "presence";
const statusKey = (userId: string) => `presence:status:${userId}`;
const lastSeenKey = (userId: string) => `presence:seen:${userId}`;
/** Per user: the instances holding a socket of theirs, scored by expiry (ms). */
const userKey = (userId: string) => `presence:user:${userId}`;

export interface PresenceService {
  /** A socket of the user opened on this instance. */
  connected(orgId: string, userId: string): Promise<void>;
  /** The user's last socket on this instance closed. */
  disconnected(orgId: string, userId: string): Promise<void>;
  /** Sets away or back online while connected. */
  setStatus(orgId: string, userId: string, status: "online" | "away"): Promise<void>;
  /**
   * A member's presence as every instance sees it, for a viewer of the organization; 404 for
   * anyone outside it, and for a customer, anyone but themselves and the staff on their queries.
   */
  get(viewer: Actor, userId: string): Promise<PresenceEvent>;
  /** Refreshes this instance's members and announces users whose last member expired. */
  sweep(): Promise<void>;
  /** Calls `fn` when a user goes offline everywhere (routing hands their queries back). */
  onOffline(fn: (orgId: string, userId: string) => Promise<void>): void;
  /** Calls `fn` when a user nobody could reach connects again (routing gives back her status). */
  onOnline(fn: (orgId: string, userId: string) => Promise<void>): void;
}

/**
 * Presence across instances: each instance keeps a member per connected user in a shared
 * scored set, refreshed while connected; a dead instance's members expire after the TTL and
 * the next sweep anywhere announces those users offline, exactly once.
 */
export function createPresenceService(
  deps: Pick<Deps, "store" | "shared" | "bus" | "clock" | "instanceId" | "config" | "log">,
): PresenceService {
  const ttlMs = deps.config.realtime.presenceTtlSeconds * 1000;
  const graceMs = Math.min(10_000, ttlMs / 3);
  const local = new Map<string, string>(); // userId → orgId of users connected here
  const offlineListeners: ((orgId: string, userId: string) => Promise<void>)[] = [];
  const onlineListeners: ((orgId: string, userId: string) => Promise<void>)[] = [];
  const now = () => deps.clock.now().getTime();
  const member = (orgId: string, userId: string, instance = deps.instanceId) =>
    `${orgId}|${userId}|${instance}`;

  /**
   * Marks the user live on this instance until `until`: in the user's own set (its instances,
   * read to answer "is anyone still connected?") and in the global set the sweeps expire.
   */
  async function keep(orgId: string, userId: string, until: number) {
    await deps.shared.setMember(userKey(userId), deps.instanceId, until);
    await deps.shared.setMember(presenceKey, member(orgId, userId), until);
  }

  /** Whether any instance still holds a live member for the user. */
  async function live(userId: string): Promise<boolean> {
    const t = now();
    return (await deps.shared.members(userKey(userId))).some((m) => m.score > t);
  }

  async function announce(orgId: string, userId: string, status: PresenceStatus) {
    const lastSeen = new Date(now()).toISOString();
    await deps.shared.set(lastSeenKey(userId), lastSeen);
    const event: PresenceEvent = { userId, status, lastSeen };
    await deps.bus.publish(channels.org(orgId), { event: "presence", data: event }).catch(() => {});
    if (status === "offline") {
      for (const fn of offlineListeners) {
        await fn(orgId, userId).catch((err) =>
          deps.log.error("offline listener failed", { userId, error: String(err) })
        );
      }
    }
  }

  /** Staff see their organization; a customer sees themselves and the staff on their queries. */
  async function visible(viewer: Actor, userId: string): Promise<boolean> {
    if (viewer.role === "Customer" && userId !== viewer.userId) {
      const shared = await deps.store.queries.list(
        viewer.orgId,
        { customerId: viewer.userId, assignedTo: userId },
        { field: "createdAt", order: "desc" },
        { page: 1, limit: 1 },
      );
      return shared.total > 0;
    }
    return await deps.store.users.findById(viewer.orgId, userId) !== null;
  }

  /** One user's connects and disconnects here run one after another, in the order called. */
  const turns = new Map<string, Promise<void>>();
  function inTurn(userId: string, fn: () => Promise<void>): Promise<void> {
    const run = (turns.get(userId) ?? Promise.resolve()).then(fn);
    const settled = run.catch(() => {});
    turns.set(userId, settled);
    void settled.then(() => turns.get(userId) === settled && turns.delete(userId));
    return run;
  }

  return {
    connected(orgId, userId) {
      return inTurn(userId, async () => {
        const t = now();
        local.set(userId, orgId);
        // Counting the live instances and adding this one is one atomic step: of two instances
        // connecting the user at the same moment, exactly one finds nobody there before it.
        const before = await deps.shared.addMember(
          userKey(userId),
          deps.instanceId,
          t + ttlMs,
          t,
        );
        await deps.shared.setMember(presenceKey, member(orgId, userId), t + ttlMs);
        if (before === 0) {
          await deps.shared.set(statusKey(userId), "online");
          await announce(orgId, userId, "online");
          for (const fn of onlineListeners) {
            await fn(orgId, userId).catch((err) =>
              deps.log.error("online listener failed", { userId, error: String(err) })
            );
          }
        }
      });
    },
    disconnected(orgId, userId) {
      // A short grace instead of a goodbye: a quick reconnect keeps the user (and an agent's
      // queries) online; otherwise the next sweep anywhere announces them offline.
      return inTurn(userId, async () => {
        local.delete(userId);
        await keep(orgId, userId, now() + graceMs);
      });
    },
    async setStatus(orgId, userId, status) {
      await deps.shared.set(statusKey(userId), status);
      await announce(orgId, userId, status);
    },
    async get(viewer, userId) {
      if (!await visible(viewer, userId)) throw notFound("User", userId);
      const [status, lastSeen, connected] = await Promise.all([
        deps.shared.get(statusKey(userId)),
        deps.shared.get(lastSeenKey(userId)),
        live(userId),
      ]);
      return {
        userId,
        status: connected ? (status === "away" ? "away" : "online") : "offline",
        lastSeen: lastSeen ?? new Date(0).toISOString(),
      };
    },
    async sweep() {
      const t = now();
      for (const [userId, orgId] of local) await keep(orgId, userId, t + ttlMs);
      for (const expired of await deps.shared.membersUpTo(presenceKey, t)) {
        if (!await deps.shared.removeMember(presenceKey, expired)) continue;
        const [orgId, userId, instance] = expired.split("|") as [string, string, string];
        await deps.shared.removeMember(userKey(userId), instance);
        if (!await live(userId)) {
          await deps.shared.delete(statusKey(userId));
          await announce(orgId, userId, "offline");
        }
      }
    },
    onOffline(fn) {
      offlineListeners.push(fn);
    },
    onOnline(fn) {
      onlineListeners.push(fn);
    },
  };
}
