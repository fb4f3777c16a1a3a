import type { Deps } from "@/deps.ts";
import type { Query, QueryHistoryEntry } from "./model.ts";

export type HistoryChange =
  & Pick<QueryHistoryEntry, "action">
  & Partial<Pick<QueryHistoryEntry, "field" | "from" | "to" | "reason">>;

/** Writes one entry of a query's history (part of the change it records, before any event). */
export type RecordHistory = (query: Query, actorId: string, change: HistoryChange) => Promise<void>;

export function queryHistoryRecorder(deps: Pick<Deps, "store" | "clock" | "ids">): RecordHistory {
  return async (query, actorId, change) => {
    await deps.store.queryHistory.append({
      id: deps.ids.next(),
      organizationId: query.organizationId,
      queryId: query.id,
      actorId,
      action: change.action,
      field: change.field ?? null,
      from: change.from ?? null,
      to: change.to ?? null,
      reason: change.reason ?? null,
      at: deps.clock.now().toISOString(),
    });
  };
}
