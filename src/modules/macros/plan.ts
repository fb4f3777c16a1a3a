import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import { type Actor, can } from "@/modules/users/actor.ts";
import { knownLabels } from "@/modules/labels/service.ts";
import { teamIdOf } from "@/modules/teams/model.ts";
import { teamClockChange } from "@/modules/business_hours/team_clock.ts";
import { businessHoursFor } from "@/modules/business_hours/service.ts";
import { canTransition, type Query, type QueryStatus } from "@/modules/queries/model.ts";
import type { QueryPatch } from "@/modules/queries/repository.ts";
import { priorityChange, statusChange } from "@/modules/queries/service.ts";
import { supportSettings } from "@/modules/queries/settings.ts";
import type { HistoryChange } from "@/modules/queries/history.ts";
import type { Macro, MacroStep } from "./model.ts";

/** What one step does, once every step has been checked. */
export type PlannedStep =
  | { kind: "field"; change: HistoryChange }
  | { kind: "message"; type: "reply" | "note"; text: string };

/** A macro checked against a query: one patch for all its field steps, then its messages. */
export interface MacroPlan {
  patch: QueryPatch;
  steps: PlannedStep[];
  /** The field changes, for the one `query.updated` event. */
  changes: { field: string; from: unknown; to: unknown }[];
  status: { from: QueryStatus; to: QueryStatus } | null;
}

const fail = (code: AppError["code"], message: string) => new AppError(code, message);

/**
 * Checks every step in order against the query as the steps before it leave it, and folds them
 * into one plan; the first step that cannot apply throws, naming its number, and nothing is done.
 */
export async function planMacro(
  deps: Pick<Deps, "store" | "clock">,
  actor: Actor,
  query: Query,
  macro: Macro,
): Promise<MacroPlan> {
  const at = deps.clock.now().toISOString();
  const reason = `Macro ${macro.name}`;
  let draft: Query = { ...query };
  const plan: MacroPlan = { patch: {}, steps: [], changes: [], status: null };
  const field = (name: string, from: unknown, to: unknown, action: HistoryChange["action"]) => {
    plan.steps.push({ kind: "field", change: { action, field: name, from, to, reason } });
    if (name !== "status") plan.changes.push({ field: name, from, to });
  };
  for (const [i, step] of macro.steps.entries()) {
    try {
      const patch = await stepPatch(deps, actor, draft, step, at);
      if (step.type === "reply" || step.type === "note") {
        plan.steps.push({ kind: "message", type: step.type, text: step.text });
        continue;
      }
      const name = step.type;
      const from = draft[name];
      const to = (patch as Record<string, unknown>)[name];
      field(name, from, to, name === "status" || name === "priority" ? name : "edited");
      Object.assign(plan.patch, patch);
      draft = { ...draft, ...patch };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      throw new AppError(err.code, `Step ${i + 1} (${step.type}): ${err.message}`, {
        details: err.details,
      });
    }
  }
  if (draft.status !== query.status) plan.status = { from: query.status, to: draft.status };
  return plan;
}

/** What one step changes on the query as it stands in the plan; throws when it cannot apply. */
async function stepPatch(
  deps: Pick<Deps, "store">,
  actor: Actor,
  draft: Query,
  step: MacroStep,
  at: string,
): Promise<QueryPatch> {
  switch (step.type) {
    case "status": {
      // Reopening takes a slot of the assignee again: that is PUT /status's to do, not a macro's.
      if (step.status === "Assigned" || !canTransition(draft.status, step.status)) {
        throw fail(
          "INVALID_TRANSITION",
          `Cannot move ${draft.reference} from ${draft.status} to ${step.status}`,
        );
      }
      if (draft.status === "Resolved") {
        throw fail("INVALID_TRANSITION", `Reopen ${draft.reference} with PUT /queries/{id}/status`);
      }
      return statusChange(draft, step.status, at);
    }
    case "priority": {
      if (!can(actor.role, "queries.lead")) {
        throw fail("FORBIDDEN", `Role ${actor.role} may not change priorities`);
      }
      const org = await deps.store.organizations.findById(actor.orgId);
      const hours = await businessHoursFor(deps, org!, draft.team);
      return priorityChange(draft, step.priority, supportSettings(org!), hours);
    }
    case "labels": {
      const add = await knownLabels(deps, actor.orgId, step.add ?? []);
      const drop = new Set(step.remove ?? []);
      return { labels: [...new Set([...draft.labels, ...add])].filter((id) => !drop.has(id)) };
    }
    case "team": {
      const team = await teamIdOf(deps, actor.orgId, step.team);
      return { team, ...await teamClockChange(deps, draft, team, at) };
    }
    case "reply":
    case "note": {
      const permission = step.type === "reply" ? "chat.write" : "chat.note";
      if (!can(actor.role, permission)) {
        throw fail("FORBIDDEN", `Role ${actor.role} may not post a ${step.type} here`);
      }
      if (!draft.roomId) throw fail("VALIDATION_FAILED", `${draft.reference} has no room`);
      return {};
    }
  }
}
