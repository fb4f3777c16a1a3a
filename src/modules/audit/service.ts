import type { Deps } from "@/deps.ts";
import type { Actor } from "@/modules/users/actor.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import type { AuditEvent, AuditFilter } from "./repository.ts";

/** What a caller says about an event; id and time are filled in. */
export type AuditInput = Omit<AuditEvent, "id" | "at" | "actorId" | "actorRole" | "details"> & {
  actor?: Pick<Actor, "userId" | "role"> | null;
  details?: Record<string, unknown>;
};

/** Appends a security event to the audit log; a failure to write is logged, never thrown. */
export async function audit(deps: Pick<Deps, "store" | "clock" | "ids" | "log">, e: AuditInput) {
  const { actor, details, ...rest } = e;
  const event: AuditEvent = {
    ...rest,
    id: deps.ids.next(),
    actorId: actor?.userId ?? null,
    actorRole: actor?.role ?? null,
    details: details ?? {},
    at: deps.clock.now().toISOString(),
  };
  try {
    await deps.store.audit.append(event);
  } catch (err) {
    deps.log.error("audit write failed", { action: e.action, error: String(err) });
  }
}

/** Reading the audit log: one organization's events, or the platform's for a SuperAdmin. */
export interface AuditService {
  /** The events of the organization the caller acts in, newest first. */
  list(actor: Actor, filter: AuditFilter, page: PageRequest): Promise<PageResult<AuditEvent>>;
  /** Every organization's events, newest first (the platform view). */
  listAll(filter: AuditFilter, page: PageRequest): Promise<PageResult<AuditEvent>>;
}

export function createAuditService(deps: Pick<Deps, "store">): AuditService {
  return {
    list: (actor, filter, page) => deps.store.audit.list(actor.orgId, filter, page),
    listAll: (filter, page) => deps.store.audit.listAll(filter, page),
  };
}
