import type { Deps } from "@/deps.ts";
import { channels } from "@/bus/bus.ts";
import { notFound } from "@/errors.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";

/** Something a user should know about, kept until read and pushed live as it happens. */
export interface Notification {
  id: string;
  organizationId: string;
  userId: string;
  type: string;
  title: string;
  body: string;
  /** Ids the client can follow (queryId, roomId). */
  data: Record<string, string>;
  read: boolean;
  readAt: string | null;
  createdAt: string;
}

/** What travels on a user's bus channel; the realtime hub forwards it to their sockets. */
export interface UserEvent {
  event: string;
  data: unknown;
}

export interface NotificationService {
  /** Stores the notification, then pushes it to the user on every instance. */
  notify(
    orgId: string,
    userId: string,
    n: { type: string; title: string; body: string; data?: Record<string, string> },
  ): Promise<Notification>;
  /** Pushes a live event to users (not stored): `query-assigned`, `query-updated`, … */
  push(userIds: Iterable<string>, event: string, data: unknown): Promise<void>;
  /** The user's notifications (of one `type`, when given), unread first, newest first. */
  list(
    orgId: string,
    userId: string,
    page: PageRequest,
    filter?: { type?: string },
  ): Promise<PageResult<Notification>>;
  unreadCount(orgId: string, userId: string): Promise<number>;
  markRead(orgId: string, userId: string, id: string): Promise<Notification>;
  markAllRead(orgId: string, userId: string): Promise<number>;
}

export function createNotificationService(
  deps: Pick<Deps, "store" | "bus" | "clock" | "ids" | "log">,
): NotificationService {
  const docs = deps.store.documents("notifications");
  const push: NotificationService["push"] = async (userIds, event, data) => {
    for (const userId of new Set(userIds)) {
      // A lost push is recoverable (the client refetches); a failed request is not.
      await deps.bus.publish(channels.user(userId), { event, data } satisfies UserEvent)
        .catch((err) => deps.log.warn("push failed", { event, userId, error: String(err) }));
    }
  };
  return {
    async notify(orgId, userId, n) {
      const notification = await docs.insert({
        id: deps.ids.next(),
        organizationId: orgId,
        userId,
        type: n.type,
        title: n.title,
        body: n.body,
        data: n.data ?? {},
        read: false,
        readAt: null,
        createdAt: deps.clock.now().toISOString(),
      });
      await push([userId], "notification", notification);
      return notification;
    },
    push,
    list(orgId, userId, page, filter = {}) {
      return docs.find(orgId, {
        where: filter.type ? { userId, type: filter.type } : { userId },
        sort: [["read", "asc"], ["createdAt", "desc"]],
        page,
      });
    },
    async unreadCount(orgId, userId) {
      return (await docs.find(orgId, {
        where: { userId, read: false },
        sort: [],
        page: { page: 1, limit: 1 },
      }))
        .total;
    },
    async markRead(orgId, userId, id) {
      const current = await docs.get(orgId, id);
      if (!current || current.userId !== userId) throw notFound("Notification", id);
      if (current.read) return current;
      return (await docs.update(orgId, id, {
        read: true,
        readAt: deps.clock.now().toISOString(),
      })) ??
        current;
    },
    markAllRead(orgId, userId) {
      return docs.updateMany(orgId, { userId, read: false }, {
        read: true,
        readAt: deps.clock.now().toISOString(),
      });
    },
  };
}
