import type { DomainEvent, EventName } from "@/events.ts";
import { messageView } from "@/modules/chat/repository.ts";
import { teamView } from "@/modules/teams/model.ts";

function withoutOrg<T extends { organizationId: unknown }>(
  { organizationId: _org, ...rest }: T,
): Omit<T, "organizationId"> {
  return rest;
}

/**
 * The event's data as the API shows its resources (a message and a call without their stored
 * organization field, the way their routes answer them). No event carries a secret or a hash.
 */
export function eventData(event: DomainEvent): unknown {
  const data = event.data as Record<string, unknown>;
  switch (event.name as EventName) {
    case "message.created": {
      const d = event.data as DomainEvent<"message.created">["data"];
      return { message: messageView(d.message), room: withoutOrg(d.room) };
    }
    case "call.started":
    case "call.ended": {
      const d = event.data as DomainEvent<"call.started">["data"];
      return { call: withoutOrg(d.call) };
    }
    case "team.created":
    case "team.updated": {
      const d = event.data as DomainEvent<"team.updated">["data"];
      return { ...d, team: teamView(d.team) };
    }
    default:
      return data;
  }
}

/** The body of every attempt of a delivery: `{type, timestamp, data}`. */
export function webhookBody(type: string, timestamp: string, data: unknown): string {
  return JSON.stringify({ type, timestamp, data });
}
