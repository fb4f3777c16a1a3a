import type { Deps } from "@/deps.ts";
import type { Query } from "@/modules/queries/model.ts";
import type { NullableQueryField } from "@/modules/queries/repository.ts";
import type { QueryEvents } from "@/modules/queries/events.ts";
import type { NotificationService } from "@/modules/notifications/service.ts";
import { supportSettings } from "@/modules/queries/settings.ts";
import { activeOrganizations } from "@/modules/organizations/repository.ts";
import { openStatuses } from "@/modules/queries/model.ts";

export interface SlaRun {
  warned: number;
  breached: number;
}

type Target = "firstResponse" | "resolution";
const targetNames: Record<Target, string> = {
  firstResponse: "first response",
  resolution: "resolution",
};

/**
 * Warns assignees before an SLA target is due and marks each breach exactly once (a conditional
 * update on the still-empty field: several instances may run this at the same time), writing
 * history and notifying the assignee and their team leads. Paused clocks are skipped.
 */
export async function checkSlas(
  deps: Pick<Deps, "store" | "clock">,
  events: QueryEvents,
  notifications: NotificationService,
): Promise<SlaRun> {
  const run: SlaRun = { warned: 0, breached: 0 };
  const now = deps.clock.now();
  for await (const org of activeOrganizations(deps.store.organizations)) {
    const warnMs = supportSettings(org).slaWarnMinutes * 60_000;
    const due = await deps.store.queries.slaDue(
      org.id,
      now.toISOString(),
      new Date(now.getTime() + warnMs).toISOString(),
      1000,
    );
    for (const query of due) {
      for (const target of ["firstResponse", "resolution"] as const) {
        const outcome = await checkTarget(deps, query, target, now, warnMs);
        if (!outcome) continue;
        run[outcome.kind]++;
        await announce(deps, events, notifications, outcome.query, target, outcome.kind);
      }
    }
  }
  return run;
}

async function checkTarget(
  deps: Pick<Deps, "store">,
  query: Query,
  target: Target,
  now: Date,
  warnMs: number,
) {
  const dueAt = query[`${target}DueAt`];
  if (!dueAt || (target === "firstResponse" && query.firstResponseAt)) return null;
  const at = now.toISOString();
  const breachedField: NullableQueryField = `${target}BreachedAt`;
  const warnedField: NullableQueryField = `${target}WarnedAt`;
  const isNull: NullableQueryField[] = target === "firstResponse" ? ["firstResponseAt"] : [];
  if (Date.parse(dueAt) <= now.getTime() && !query[breachedField]) {
    const updated = await deps.store.queries.update(query.organizationId, query.id, {
      statuses: [...openStatuses],
      isNull: [...isNull, breachedField],
    }, { [breachedField]: at, [warnedField]: query[warnedField] ?? at, breached: true });
    return updated ? { kind: "breached" as const, query: updated } : null;
  }
  if (Date.parse(dueAt) - warnMs <= now.getTime() && !query[warnedField]) {
    const updated = await deps.store.queries.update(query.organizationId, query.id, {
      statuses: [...openStatuses],
      isNull: [...isNull, warnedField],
    }, { [warnedField]: at });
    return updated ? { kind: "warned" as const, query: updated } : null;
  }
  return null;
}

async function announce(
  deps: Pick<Deps, "store">,
  events: QueryEvents,
  notifications: NotificationService,
  query: Query,
  target: Target,
  kind: "warned" | "breached",
) {
  const name = targetNames[target];
  const dueAt = query[`${target}DueAt`];
  await events.record(query, "system", {
    action: kind === "breached" ? "sla-breach" : "sla-warning",
    field: `${target}DueAt`,
    to: dueAt,
    reason: kind === "breached" ? `${name} target missed` : `${name} target due soon`,
  });
  const people = new Set<string>();
  if (query.assignedTo) people.add(query.assignedTo);
  if (kind === "breached") { for (const tl of await teamLeads(deps, query)) people.add(tl); }
  for (const userId of people) {
    await notifications.notify(query.organizationId, userId, {
      type: kind === "breached" ? "sla-breach" : "sla-warning",
      title: kind === "breached"
        ? `${query.reference} missed its ${name} target`
        : `${query.reference}: ${name} due at ${dueAt}`,
      body: query.title,
      data: { queryId: query.id },
    });
  }
  await events.updated(query);
}

/** The team leads of the assignee's team, or every team lead when none matches. */
async function teamLeads(deps: Pick<Deps, "store">, query: Query): Promise<string[]> {
  const orgId = query.organizationId;
  const assignee = query.assignedTo
    ? await deps.store.users.findById(orgId, query.assignedTo)
    : null;
  const all = await deps.store.users.list(orgId, { roles: ["TL"], active: true }, {
    page: 1,
    limit: 100,
  });
  const sameTeam = all.data.filter((u) => assignee?.team && u.team === assignee.team);
  return (sameTeam.length ? sameTeam : all.data).map((u) => u.id);
}
