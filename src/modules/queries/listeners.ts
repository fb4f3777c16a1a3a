import type { Events } from "@/events.ts";
import { isNote } from "@/modules/chat/repository.ts";
import type { QueryService } from "./service.ts";

/**
 * A message in a query's room moves the query: the customer's makes it wait on the agent again,
 * the first from staff (not a bot) stops the first-response clock.
 */
export function trackReplies(events: Events, queries: QueryService): void {
  events.on("message.created", async ({ data: { message, room, query } }) => {
    // A note is between staff: it neither answers the customer nor waits on the agent.
    if (!room.queryId || isNote(message)) return;
    if (message.senderRole === "Customer") {
      await queries.customerReplied(room.organizationId, room.queryId);
    } else if (message.senderRole !== "system" && message.senderRole !== "bot") {
      // As Chatwoot's first reply: a person's answer only, never a bot's.
      await queries.responded(room.organizationId, room.queryId, message.createdAt, query);
    }
  });
}
