import type { Deps } from "@/deps.ts";
import type { Query } from "@/modules/queries/model.ts";
import type { NullableQueryField } from "@/modules/queries/repository.ts";
import type { Events } from "@/events.ts";
import { queryHistoryRecorder } from "@/modules/queries/history.ts";
import { supportSettings } from "@/modules/queries/settings.ts";
import { activeOrganizations } from "@/modules/organizations/repository.ts";
import { openStatuses, type SlaTarget, slaTargetNames } from "@/modules/queries/model.ts";

export interface SlaRun {
  warned: number;
  breached: number;
}

type SlaDeps = Pick<Deps, "store" | "clock" | "ids"> & { events: Events };

/**
 * Warns assignees before an SLA target is due and marks each breach exactly once (a conditional
 * update on the still-empty field: several instances may run this at the same time), writing
 * history and emitting `sla.warned` or `sla.breached`. Paused clocks are skipped.
 */
export async function checkSlas(deps: SlaDeps): Promise<SlaRun> {
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
        await announce(deps, outcome.query, target, outcome.kind);
      }
    }
  }
  return run;
}

async function checkTarget(
  deps: Pick<Deps, "store">,
  query: Query,
  target: SlaTarget,
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

/** Writes the history line, then tells the listeners (notifications, pushes, webhooks). */
async function announce(
  deps: SlaDeps,
  query: Query,
  target: SlaTarget,
  kind: "warned" | "breached",
) {
  const name = slaTargetNames[target];
  await queryHistoryRecorder(deps)(query, "system", {
    action: kind === "breached" ? "sla-breach" : "sla-warning",
    field: `${target}DueAt`,
    to: query[`${target}DueAt`],
    reason: kind === "breached" ? `${name} target missed` : `${name} target due soon`,
  });
  await deps.events.emit(kind === "breached" ? "sla.breached" : "sla.warned", {
    organizationId: query.organizationId,
    actorId: "system",
  }, { query, target });
}
