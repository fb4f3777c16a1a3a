import type { Deps } from "@/deps.ts";
import type { AuthContext } from "@/modules/auth/context.ts";
import type { AuditEvent } from "./repository.ts";

/** What a caller says about an event; id and time are filled in. */
export type AuditInput = Omit<AuditEvent, "id" | "at" | "actorId" | "actorRole" | "details"> & {
  actor?: Pick<AuthContext, "userId" | "role"> | null;
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
