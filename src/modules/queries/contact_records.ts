import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { type ContactRecords, erasedMarker } from "@/modules/contacts/model.ts";
import type { RoutingService } from "@/modules/routing/service.ts";
import { isOpen, type Query } from "./model.ts";
import { queryHistoryRecorder } from "./history.ts";

/** Every query of the customer, newest first (the contact's history, merge and erasure). */
export async function queriesOfCustomer(
  deps: Pick<Deps, "store">,
  orgId: string,
  customerId: string,
): Promise<Query[]> {
  const all: Query[] = [];
  for (let page = 1;; page++) {
    const got = await deps.store.queries.list(orgId, { customerId }, {
      field: "createdAt",
      order: "desc",
    }, { page, limit: 500 });
    all.push(...got.data);
    if (all.length >= got.total || got.data.length === 0) return all;
  }
}

/**
 * The queries' part of a contact: a merge moves them (with their ratings) to the other
 * contact; an erasure replaces the customer's words in them with a marker and closes the open
 * ones (nobody is left to answer), keeping numbers, statuses, ratings and history.
 */
export function queryContactRecords(
  deps: Pick<Deps, "store" | "clock" | "ids"> & { events: Events },
  routing: Pick<RoutingService, "release">,
): ContactRecords {
  const record = queryHistoryRecorder(deps);
  return {
    async move(orgId, from, to) {
      const moved = await queriesOfCustomer(deps, orgId, from);
      await deps.store.queries.moveCustomer(orgId, from, to);
      for (const query of moved) {
        await record(query, "system", {
          action: "customer-merged",
          field: "customerId",
          from,
          to,
        });
      }
    },
    async export(orgId, contactId) {
      const queries = await queriesOfCustomer(deps, orgId, contactId);
      return {
        queries,
        ratings: queries.filter((q) => q.csat).map((q) => ({
          queryId: q.id,
          reference: q.reference,
          ...q.csat,
        })),
      };
    },
    async erase(orgId, contactId) {
      await deps.store.queries.eraseCustomer(orgId, contactId, erasedMarker);
      for (const query of await queriesOfCustomer(deps, orgId, contactId)) {
        if (!isOpen(query.status)) continue;
        const at = deps.clock.now().toISOString();
        const closed = await deps.store.queries.update(orgId, query.id, {
          statuses: [query.status],
        }, { status: "Closed", closedAt: at, updatedAt: at });
        if (!closed) continue;
        if (query.assignedTo) await routing.release(orgId, query.assignedTo);
        await record(closed, "system", {
          action: "status",
          field: "status",
          from: query.status,
          to: "Closed",
          reason: "The contact was erased",
        });
        await deps.events.emit("query.status_changed", {
          organizationId: orgId,
          actorId: "system",
        }, { query: closed, from: query.status, to: "Closed", reason: "The contact was erased" });
      }
    },
  };
}
