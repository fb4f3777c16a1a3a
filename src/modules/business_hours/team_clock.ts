import type { Deps } from "@/deps.ts";
import { isOpen, type Query } from "@/modules/queries/model.ts";
import type { QueryPatch } from "@/modules/queries/repository.ts";
import { supportSettings } from "@/modules/queries/settings.ts";
import { addBusinessTime, businessTimeBetween } from "./clock.ts";
import { businessHoursFor } from "./service.ts";

/**
 * When an open query moves to a team whose business hours differ from those it kept, each of
 * its business-time targets not met yet keeps the open time it had left, counted from `at` on
 * the new hours. Calendar-time targets, paused clocks (moved on at resume) and targets already
 * due are left alone.
 */
export async function teamClockChange(
  deps: Pick<Deps, "store">,
  query: Query,
  team: string | null,
  at: string,
): Promise<QueryPatch> {
  if (team === query.team || query.slaPausedAt || !isOpen(query.status)) return {};
  const org = await deps.store.organizations.findById(query.organizationId);
  if (!org || !supportSettings(org).sla[query.priority].businessHoursOnly) return {};
  const before = await businessHoursFor(deps, org, query.team);
  const after = await businessHoursFor(deps, org, team);
  const clockOf = (h: typeof before) => h && { ...h, outOfHoursReply: null };
  if (JSON.stringify(clockOf(before)) === JSON.stringify(clockOf(after))) return {};
  const now = Date.parse(at);
  const moved = (due: string | null, met: boolean) => {
    if (due === null || met || Date.parse(due) <= now) return due;
    const left = before ? businessTimeBetween(before, now, Date.parse(due)) : Date.parse(due) - now;
    return new Date(after ? addBusinessTime(after, now, left) : now + left).toISOString();
  };
  return {
    firstResponseDueAt: moved(query.firstResponseDueAt, query.firstResponseAt !== null),
    resolutionDueAt: moved(query.resolutionDueAt, false),
  };
}
