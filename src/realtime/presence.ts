import type { Deps } from "@/deps.ts";
import { channels } from "@/bus/bus.ts";
import { notFound } from "@/errors.ts";

export type PresenceStatus = "online" | "away" | "offline";

export interface PresenceEvent {
  userId: string;
  status: PresenceStatus;
  lastSeen: string;
}

/** The one scored set holding `orgId|userId|instanceId` members, scored by expiry (ms). */
const presenceKey = "presence";
const statusKey = (userId: string) => `presence:status:${userId}`;
const lastSeenKey = (userId: string) => `presence:seen:${userId}`;

export interface PresenceService {
  /** A socket of the user opened on this instance. */
  connected(orgId: string, userId: string): Promise<void>;
  /** The user's last socket on this instance closed. */
  disconnected(orgId: string, userId: string): Promise<void>;
  /** Sets away or back online while connected. */
  setStatus(orgId: string, userId: string, status: "online" | "away"): Promise<void>;
  /** The user's presence as every instance sees it. */
  /** A member's presence as every instance sees it; 404 for anyone outside the organization. */
  get(orgId: string, userId: string): Promise<PresenceEvent>;
  /** Refreshes this instance's members and announces users whose last member expired. */
  sweep(): Promise<void>;
  /** Calls `fn` when a user goes offline everywhere (routing hands their queries back). */
  onOffline(fn: (orgId: string, userId: string) => Promise<void>): void;
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
  const now = () => deps.clock.now().getTime();
  const member = (orgId: string, userId: string, instance = deps.instanceId) =>
    `${orgId}|${userId}|${instance}`;

  async function liveElsewhere(orgId: string, userId: string): Promise<boolean> {
    const prefix = `${orgId}|${userId}|`;
    const t = now();
    return (await deps.shared.members(presenceKey)).some((m) =>
      m.member.startsWith(prefix) && m.score > t
    );
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

  return {
    async connected(orgId, userId) {
      const wasOnline = await liveElsewhere(orgId, userId);
      local.set(userId, orgId);
      await deps.shared.setMember(presenceKey, member(orgId, userId), now() + ttlMs);
      if (!wasOnline) {
        await deps.shared.set(statusKey(userId), "online");
        await announce(orgId, userId, "online");
      }
    },
    async disconnected(orgId, userId) {
      // A short grace instead of a goodbye: a quick reconnect keeps the user (and an agent's
      // queries) online; otherwise the next sweep anywhere announces them offline.
      local.delete(userId);
      await deps.shared.setMember(presenceKey, member(orgId, userId), now() + graceMs);
    },
    async setStatus(orgId, userId, status) {
      await deps.shared.set(statusKey(userId), status);
      await announce(orgId, userId, status);
    },
    async get(orgId, userId) {
      if (!await deps.store.users.findById(orgId, userId)) throw notFound("User", userId);
      const [status, lastSeen, all] = await Promise.all([
        deps.shared.get(statusKey(userId)),
        deps.shared.get(lastSeenKey(userId)),
        deps.shared.members(presenceKey),
      ]);
      const t = now();
      const live = all.some((m) => m.member.split("|")[1] === userId && m.score > t);
      return {
        userId,
        status: live ? (status === "away" ? "away" : "online") : "offline",
        lastSeen: lastSeen ?? new Date(0).toISOString(),
      };
    },
    async sweep() {
      const t = now();
      for (const [userId, orgId] of local) {
        await deps.shared.setMember(presenceKey, member(orgId, userId), t + ttlMs);
      }
      for (const expired of await deps.shared.membersUpTo(presenceKey, t)) {
        if (!await deps.shared.removeMember(presenceKey, expired)) continue;
        const [orgId, userId] = expired.split("|") as [string, string];
        if (!await liveElsewhere(orgId, userId)) {
          await deps.shared.delete(statusKey(userId));
          await announce(orgId, userId, "offline");
        }
      }
    },
    onOffline(fn) {
      offlineListeners.push(fn);
    },
  };
}
