import type { Clock } from "@/clock.ts";
import type { Ids } from "@/ids.ts";
import { errorMessage, type Logger } from "@/log.ts";
import type { Message, Room } from "@/modules/chat/repository.ts";
import type { Query, QueryStatus, SlaTarget } from "@/modules/queries/model.ts";
import type { CallRecord } from "@/realtime/calls.ts";
import type { Contact } from "@/modules/contacts/model.ts";
import type { Team } from "@/modules/teams/model.ts";

/**
 * The domain events: what happened, named as a support desk says it, with the resource as
 * stored after the write. Listeners (realtime pushes, notifications, room lines, mail replies,
 * and the coming webhooks and metrics) subscribe to these names at the composition root.
 */
export interface EventCatalog {
  "query.created": { query: Query };
  /** A new assignee by routing or by a lead; `previous` is whoever held it before. */
  "query.assigned": { query: Query; previous: string | null; reason: string | null };
  /** Fields edited (title, tags, skill, team, waitingOn…) or the priority changed. */
  "query.updated": { query: Query; changes: { field: string; from: unknown; to: unknown }[] };
  "query.status_changed": {
    query: Query;
    from: QueryStatus;
    to: QueryStatus;
    reason: string | null;
  };
  /** Handed on by its assignee: to another agent, or to a team's queue. */
  "query.transferred": {
    query: Query;
    previous: string | null;
    to: { agentId: string } | { team: string | null };
    reason: string;
  };
  /** Back in the queue without a transfer: the agent went offline, or nobody answered. */
  "query.requeued": { query: Query; previous: string | null; reason: string };
  "csat.given": { query: Query };
  "sla.warned": { query: Query; target: SlaTarget };
  "sla.breached": { query: Query; target: SlaTarget };
  /** Also a staff-only note (`message.type === "note"`): listeners facing the customer skip it. */
  "message.created": {
    message: Message;
    room: Room;
    /**
     * The room's query as the sender's access check read it, just before the write; absent where
     * nothing read it (listeners then read it themselves).
     */
    query?: Query | null;
  };
  "message.read": { roomId: string; userId: string; seq: number };
  "call.started": { call: CallRecord };
  "call.ended": { call: CallRecord };
  "user.changed": { userId: string; fields: string[] };
  "organization.changed": { fields: string[] };
  "contact.created": { contact: Contact };
  "contact.updated": { contact: Contact; fields: string[] };
  /** `mergedId`'s queries, rooms, messages and files now belong to `contact`. */
  "contact.merged": { contact: Contact; mergedId: string };
  /** The contact's personal data is gone; only its id is told. */
  "contact.erased": { contactId: string };
  "team.created": { team: Team };
  /** Renamed, described or its members set: `fields` names what changed. */
  "team.updated": { team: Team; fields: string[] };
  "team.deleted": { teamId: string; name: string };
}

export type EventName = keyof EventCatalog;
export const eventNames = [
  "query.created",
  "query.assigned",
  "query.updated",
  "query.status_changed",
  "query.transferred",
  "query.requeued",
  "csat.given",
  "sla.warned",
  "sla.breached",
  "message.created",
  "message.read",
  "call.started",
  "call.ended",
  "user.changed",
  "organization.changed",
  "contact.created",
  "contact.updated",
  "contact.merged",
  "contact.erased",
  "team.created",
  "team.updated",
  "team.deleted",
] as const satisfies readonly EventName[];

/** One event: its name and data, where (organization), who caused it, and when. */
export interface DomainEvent<N extends EventName = EventName> {
  id: string;
  name: N;
  organizationId: string;
  /** The user who caused it, or "system" (jobs, routing, mail import). */
  actorId: string;
  at: string;
  data: EventCatalog[N];
}

export type Listener<N extends EventName> = (event: DomainEvent<N>) => Promise<void> | void;

/** The dispatcher of one process: services emit after their write, listeners react. */
export interface Events {
  /**
   * Runs every listener of the event, in the order they subscribed, after the write that made
   * it. A listener that fails is logged and never fails the write or the other listeners.
   */
  emit<N extends EventName>(
    name: N,
    where: { organizationId: string; actorId: string },
    data: EventCatalog[N],
  ): Promise<void>;
  /** Subscribes a listener to one or several events. */
  on<N extends EventName>(names: N | readonly N[], listener: Listener<N>): void;
}

export function createEvents(deps: { clock: Clock; ids: Ids; log: Logger }): Events {
  const listeners = new Map<EventName, Listener<EventName>[]>();
  return {
    async emit(name, where, data) {
      const subscribed = listeners.get(name);
      if (!subscribed) return;
      const event = {
        id: deps.ids.next(),
        name,
        organizationId: where.organizationId,
        actorId: where.actorId,
        at: deps.clock.now().toISOString(),
        data,
      } as DomainEvent;
      for (const listener of subscribed) {
        try {
          await listener(event);
        } catch (err) {
          deps.log.error("event listener failed", {
            event: name,
            eventId: event.id,
            error: errorMessage(err),
            stack: err instanceof Error ? err.stack : undefined,
          });
        }
      }
    },
    on(names, listener) {
      for (const name of typeof names === "string" ? [names] : names) {
        const list = listeners.get(name) ?? [];
        list.push(listener as Listener<EventName>);
        listeners.set(name, list);
      }
    },
  };
}
