import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { type Query, slaTargetNames } from "@/modules/queries/model.ts";
import type { NotificationService } from "./service.ts";
import { isNote } from "@/modules/chat/repository.ts";
import { teamsOf } from "@/modules/teams/model.ts";

/**
 * Tells the people of a query what changed: `query-updated` live to its customer and assignee,
 * `query-assigned` and a notification to a new assignee, SLA notifications to the assignee (and,
 * on a breach, their team leads).
 */
export function notifyQueryChanges(
  events: Events,
  deps: Pick<Deps, "store">,
  notifications: NotificationService,
): void {
  const updated = (query: Query, also: (string | null)[] = []) => {
    const people = [query.customerId, ...also.filter((id): id is string => id !== null)];
    if (query.assignedTo) people.push(query.assignedTo);
    return notifications.push(people, "query-updated", query);
  };
  const assigned = async (query: Query) => {
    if (!query.assignedTo) return;
    await notifications.push([query.assignedTo], "query-assigned", query);
    await notifications.notify(query.organizationId, query.assignedTo, {
      type: "query-assigned",
      title: `${query.reference} assigned to you`,
      body: query.title,
      data: { queryId: query.id },
    });
    await notifications.push([query.customerId], "query-updated", query);
  };

  events.on("query.assigned", (e) => assigned(e.data.query));
  events.on(
    "query.transferred",
    (e) =>
      "agentId" in e.data.to ? assigned(e.data.query) : updated(e.data.query, [e.data.previous]),
  );
  events.on("query.requeued", (e) => updated(e.data.query, [e.data.previous]));
  events.on(["query.updated", "query.status_changed"], (e) => updated(e.data.query));
  events.on("csat.given", (e) => e.data.query.assignedTo ? updated(e.data.query) : undefined);
  events.on(["sla.warned", "sla.breached"], async (e) => {
    const { query, target } = e.data;
    const breached = e.name === "sla.breached";
    const name = slaTargetNames[target];
    const people = new Set<string>();
    if (query.assignedTo) people.add(query.assignedTo);
    if (breached) { for (const tl of await teamLeads(deps, query)) people.add(tl); }
    for (const userId of people) {
      await notifications.notify(query.organizationId, userId, {
        type: breached ? "sla-breach" : "sla-warning",
        title: breached
          ? `${query.reference} missed its ${name} target`
          : `${query.reference}: ${name} due at ${query[`${target}DueAt`]}`,
        body: query.title,
        data: { queryId: query.id },
      });
    }
    await updated(query);
  });
}

/** The team leads sharing a team with the assignee, or every team lead when none does. */
async function teamLeads(deps: Pick<Deps, "store">, query: Query): Promise<string[]> {
  const orgId = query.organizationId;
  const mates = new Set(
    query.assignedTo
      ? (await teamsOf(deps, orgId, query.assignedTo)).flatMap((t) => t.members)
      : [],
  );
  const all = await deps.store.users.list(orgId, { roles: ["TL"], active: true }, {
    page: 1,
    limit: 100,
  });
  const sameTeam = all.data.filter((u) => mates.has(u.id));
  return (sameTeam.length ? sameTeam : all.data).map((u) => u.id);
}

/** Each staff member a note mentions gets a `mention` notification, live on every instance. */
export function notifyMentions(
  events: Events,
  deps: Pick<Deps, "store">,
  notifications: NotificationService,
): void {
  events.on("message.created", async ({ data: { message, room } }) => {
    if (!isNote(message) || !message.mentions?.length) return;
    const query = room.queryId
      ? await deps.store.queries.findById(room.organizationId, room.queryId)
      : null;
    const author = await deps.store.users.findById(room.organizationId, message.senderId);
    for (const userId of message.mentions) {
      if (userId === message.senderId) continue;
      await notifications.notify(room.organizationId, userId, {
        type: "mention",
        title: `${author?.name ?? "Someone"} mentioned you${query ? ` on ${query.reference}` : ""}`,
        body: message.text.slice(0, 200),
        data: {
          roomId: room.id,
          messageId: message.id,
          ...(query ? { queryId: query.id } : {}),
        },
      });
    }
  });
}
