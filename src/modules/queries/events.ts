import type { Deps } from "@/deps.ts";
import type { NotificationService } from "@/modules/notifications/service.ts";
import type { Query, QueryHistoryEntry } from "./model.ts";

export type HistoryChange =
  & Pick<QueryHistoryEntry, "action">
  & Partial<
    Pick<QueryHistoryEntry, "field" | "from" | "to" | "reason">
  >;

/** Writes a query's history and tells the people concerned, in that order. */
export interface QueryEvents {
  record(query: Query, actorId: string, change: HistoryChange): Promise<void>;
  /** `query-updated` to the customer and the assignee (and `extra` users). */
  updated(query: Query, extra?: string[]): Promise<void>;
  /** `query-assigned` and a notification to the new assignee, `query-updated` to the customer. */
  assigned(query: Query): Promise<void>;
}

export function createQueryEvents(
  deps: Pick<Deps, "store" | "clock" | "ids">,
  notifications: NotificationService,
): QueryEvents {
  const events: QueryEvents = {
    async record(query, actorId, change) {
      await deps.store.queryHistory.append({
        id: deps.ids.next(),
        organizationId: query.organizationId,
        queryId: query.id,
        actorId,
        action: change.action,
        field: change.field ?? null,
        from: change.from ?? null,
        to: change.to ?? null,
        reason: change.reason ?? null,
        at: deps.clock.now().toISOString(),
      });
    },
    async updated(query, extra = []) {
      const people = [query.customerId, ...extra];
      if (query.assignedTo) people.push(query.assignedTo);
      await notifications.push(people, "query-updated", query);
    },
    async assigned(query) {
      if (!query.assignedTo) return;
      await notifications.push([query.assignedTo], "query-assigned", query);
      await notifications.notify(query.organizationId, query.assignedTo, {
        type: "query-assigned",
        title: `${query.reference} assigned to you`,
        body: query.title,
        data: { queryId: query.id },
      });
      await notifications.push([query.customerId], "query-updated", query);
    },
  };
  return events;
}
