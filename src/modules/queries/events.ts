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

/** Writes a line into the query's room; given by the chat service. */
export type SystemMessage = (orgId: string, roomId: string, text: string) => Promise<unknown>;

/** The room line for a change, or null when the change says nothing to the customer. */
async function describe(
  deps: Pick<Deps, "store">,
  query: Query,
  change: HistoryChange,
): Promise<string | null> {
  const name = async (id: unknown) =>
    typeof id === "string"
      ? (await deps.store.users.findById(query.organizationId, id))?.name ?? "an agent"
      : "the queue";
  switch (change.action) {
    case "assigned":
      return `${query.reference} assigned to ${await name(change.to)}`;
    case "transferred":
      return `${query.reference} transferred to ${
        change.field === "team" ? `team ${String(change.to)}` : await name(change.to)
      }${change.reason ? `: ${change.reason}` : ""}`;
    case "requeued":
      return `${query.reference} is back in the queue`;
    case "status":
      return `${query.reference} is now ${String(change.to)}`;
    default:
      return null;
  }
}

export function createQueryEvents(
  deps: Pick<Deps, "store" | "clock" | "ids">,
  notifications: NotificationService,
  systemMessage?: SystemMessage,
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
      const line = systemMessage && query.roomId ? await describe(deps, query, change) : null;
      if (line) await systemMessage!(query.organizationId, query.roomId!, line);
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
