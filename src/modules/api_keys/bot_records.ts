import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { audit } from "@/modules/audit/service.ts";
import { queryHistoryRecorder } from "@/modules/queries/history.ts";

/**
 * A bot's message (an API key with chat:write) is named by its key in the query's history
 * (`message`, field `bot`, to the message's id) and in the audit log (`bot.message_posted`).
 */
export function recordBotMessages(
  events: Events,
  deps: Pick<Deps, "store" | "clock" | "ids" | "log">,
): void {
  const record = queryHistoryRecorder(deps);
  events.on("message.created", async ({ data: { message, room } }) => {
    if (message.senderRole !== "bot") return;
    const query = room.queryId
      ? await deps.store.queries.findById(room.organizationId, room.queryId)
      : null;
    if (query) {
      await record(query, message.senderId, { action: "message", field: "bot", to: message.id });
    }
    await audit(deps, {
      organizationId: room.organizationId,
      action: "bot.message_posted",
      // Inside the services a key has an Admin's reach; its id says it is a key.
      actor: { userId: message.senderId, role: "Admin" },
      targetType: "api_key",
      targetId: message.senderId.replace(/^apikey:/, ""),
      ip: null,
      details: {
        name: message.senderName ?? null,
        roomId: room.id,
        messageId: message.id,
        ...(query ? { queryId: query.id } : {}),
      },
    });
  });
}
