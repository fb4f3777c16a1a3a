import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import type { Query } from "@/modules/queries/model.ts";
import type { ChatService } from "./service.ts";

/**
 * Writes a query's changes that concern its customer into its room, as system lines:
 * assignments, transfers, requeues and status changes.
 */
export function queryTimeline(events: Events, deps: Pick<Deps, "store">, chat: ChatService): void {
  const name = async (query: Query, userId: string | null) =>
    userId
      ? (await deps.store.users.findById(query.organizationId, userId))?.name ?? "an agent"
      : "the queue";
  const line = async (query: Query, text: string) => {
    if (query.roomId) await chat.system(query.organizationId, query.roomId, text);
  };
  const because = (reason: string | null) => reason ? `: ${reason}` : "";

  events.on("query.assigned", async ({ data: { query } }) => {
    await line(query, `${query.reference} assigned to ${await name(query, query.assignedTo)}`);
  });
  events.on("query.transferred", async ({ data: { query, to, reason } }) => {
    const target = "agentId" in to ? await name(query, to.agentId) : `team ${String(to.team)}`;
    await line(query, `${query.reference} transferred to ${target}${because(reason)}`);
  });
  events.on(
    "query.requeued",
    ({ data: { query } }) => line(query, `${query.reference} is back in the queue`),
  );
  events.on(
    "query.status_changed",
    ({ data: { query, to } }) => line(query, `${query.reference} is now ${to}`),
  );
}
