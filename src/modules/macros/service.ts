import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { AppError, notFound } from "@/errors.ts";
import { type Actor, can } from "@/modules/users/actor.ts";
import { knownLabels } from "@/modules/labels/service.ts";
import { teamIdOf } from "@/modules/teams/model.ts";
import type { ChatService } from "@/modules/chat/service.ts";
import type { Query } from "@/modules/queries/model.ts";
import type { QueryService } from "@/modules/queries/service.ts";
import { queryHistoryRecorder } from "@/modules/queries/history.ts";
import type { RoutingService } from "@/modules/routing/service.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import type { Macro, MacroStep } from "./model.ts";
import { planMacro } from "./plan.ts";

export type MacroInput = Pick<Macro, "name" | "visibility" | "steps">;

export interface MacroService {
  /** The organization's macros and the caller's own, by name. */
  list(actor: Actor, page: PageRequest): Promise<PageResult<Macro>>;
  get(actor: Actor, id: string): Promise<Macro>;
  /** Organization-wide ones are for Admins and TLs; anyone who answers keeps personal ones. */
  create(actor: Actor, input: MacroInput): Promise<Macro>;
  update(actor: Actor, id: string, patch: Partial<MacroInput>): Promise<Macro>;
  remove(actor: Actor, id: string): Promise<void>;
  /**
   * Runs the macro on the query: every step is checked first, then all apply in one conditional
   * update (or none, with the failing step named), each writes its history entry, and the events
   * go out once.
   */
  run(actor: Actor, queryId: string, macroId: string): Promise<Query>;
}

export function createMacroService(
  deps: Pick<Deps, "store" | "clock" | "ids"> & { events: Events },
  s: { queries: QueryService; chat: ChatService; routing: RoutingService },
): MacroService {
  const docs = deps.store.documents("macros");
  const record = queryHistoryRecorder(deps);
  const now = () => deps.clock.now().toISOString();

  async function visible(actor: Actor, id: string): Promise<Macro> {
    const macro = await docs.get(actor.orgId, id);
    if (!macro || (macro.visibility === "personal" && macro.ownerId !== actor.userId)) {
      throw notFound("Macro", id);
    }
    return macro;
  }

  function mayKeep(actor: Actor, visibility: Macro["visibility"]) {
    if (visibility === "organization" && !can(actor.role, "macros.manage")) {
      throw new AppError("FORBIDDEN", `Role ${actor.role} may not keep the organization's macros`);
    }
  }

  /** Labels a step adds must be in the set when the macro is saved (and again when it runs). */
  async function checkSteps(actor: Actor, steps: MacroStep[]) {
    for (const step of steps) {
      if (step.type === "labels") await knownLabels(deps, actor.orgId, step.add ?? []);
      if (step.type === "team") await teamIdOf(deps, actor.orgId, step.team);
    }
  }

  return {
    async list(actor, page) {
      const all = { page: 1, limit: 500 };
      const [shared, mine] = await Promise.all([
        docs.find(actor.orgId, { where: { visibility: "organization" }, sort: [], page: all }),
        docs.find(actor.orgId, {
          where: { visibility: "personal", ownerId: actor.userId },
          sort: [],
          page: all,
        }),
      ]);
      const sorted = [...shared.data, ...mine.data].sort((a, b) => a.name.localeCompare(b.name));
      const start = (page.page - 1) * page.limit;
      return { data: sorted.slice(start, start + page.limit), total: sorted.length };
    },
    get: visible,
    async create(actor, input) {
      mayKeep(actor, input.visibility);
      await checkSteps(actor, input.steps);
      const at = now();
      return await docs.insert({
        id: deps.ids.next(),
        organizationId: actor.orgId,
        ...input,
        ownerId: actor.userId,
        createdAt: at,
        updatedAt: at,
      });
    },
    async update(actor, id, patch) {
      const macro = await visible(actor, id);
      mayKeep(actor, macro.visibility);
      if (patch.visibility) mayKeep(actor, patch.visibility);
      if (patch.steps) await checkSteps(actor, patch.steps);
      const updated = await docs.update(actor.orgId, id, { ...patch, updatedAt: now() });
      if (!updated) throw notFound("Macro", id);
      return updated;
    },
    async remove(actor, id) {
      const macro = await visible(actor, id);
      mayKeep(actor, macro.visibility);
      if (!await docs.delete(actor.orgId, id)) throw notFound("Macro", id);
    },
    async run(actor, queryId, macroId) {
      const macro = await visible(actor, macroId);
      const { queuePosition: _q, ...query } = await s.queries.get(actor, queryId);
      if (!can(actor.role, "queries.work")) {
        throw new AppError("FORBIDDEN", `Role ${actor.role} may not change queries`);
      }
      if (actor.role === "Agent" && query.assignedTo !== actor.userId) {
        throw new AppError("FORBIDDEN", `${query.reference} is not assigned to you`);
      }
      const plan = await planMacro(deps, actor, query, macro);
      const at = now();
      const updated = Object.keys(plan.patch).length === 0 ? query : await deps.store.queries
        .update(query.organizationId, query.id, {
          statuses: [query.status],
          assignedTo: query.assignedTo,
        }, { ...plan.patch, updatedAt: at });
      if (!updated) {
        throw new AppError("CONFLICT", `${query.reference} changed meanwhile; reload and retry`);
      }
      const by = { organizationId: query.organizationId, actorId: actor.userId };
      for (const step of plan.steps) {
        if (step.kind === "field") {
          await record(updated, actor.userId, step.change);
          continue;
        }
        const { message } = await s.chat.send(actor, query.roomId!, {
          text: step.text,
          type: step.type === "note" ? "note" : "text",
        });
        await record(updated, actor.userId, {
          action: "message",
          field: step.type,
          to: message.id,
          reason: `Macro ${macro.name}`,
        });
      }
      if (plan.changes.length) {
        await deps.events.emit("query.updated", by, { query: updated, changes: plan.changes });
      }
      if (plan.status) {
        await deps.events.emit("query.status_changed", by, {
          query: updated,
          ...plan.status,
          reason: `Macro ${macro.name}`,
        });
        if (plan.status.to === "Resolved" && query.assignedTo) {
          await s.routing.release(query.organizationId, query.assignedTo);
        }
      }
      return updated;
    },
  };
}
