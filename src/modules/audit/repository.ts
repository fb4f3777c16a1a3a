import type { PageRequest, PageResult } from "@/store/types.ts";
import type { Role } from "@/modules/users/repository.ts";

/** Security events the audit log records. */
export const auditActions = [
  "login.success",
  "login.failure",
  "login.denied",
  "logout",
  "password.changed",
  "password.reset",
  "user.created",
  "user.updated",
  "user.role_changed",
  "user.status_changed",
  "organization.created",
  "organization.updated",
  "organization.status_changed",
  "location_access.changed",
  "ip_rule.added",
  "ip_rule.removed",
  "email_config.created",
  "email_config.updated",
  "email_config.removed",
  "contact.created",
  "contact.updated",
  "contact.merged",
  "contact.exported",
  "contact.erased",
  "webhook.created",
  "webhook.updated",
  "webhook.removed",
  "webhook.secret_rotated",
  "api_key.created",
  "api_key.revoked",
  "bot.message_posted",
  "web_inbox.created",
  "web_inbox.updated",
  "web_inbox.removed",
] as const;
export type AuditAction = (typeof auditActions)[number];

/** One security event: who did what to whom, from where, when. */
export interface AuditEvent {
  id: string;
  /** The tenant the event belongs to; null for platform events (a SuperAdmin's login). */
  organizationId: string | null;
  action: AuditAction;
  actorId: string | null;
  actorRole: Role | null;
  targetType:
    | "user"
    | "contact"
    | "organization"
    | "ip_rule"
    | "mailbox"
    | "webhook"
    | "api_key"
    | "web_inbox"
    | null;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  at: string;
}

export interface AuditFilter {
  action?: AuditAction;
  actorId?: string;
  targetId?: string;
}

/** Append-only storage of audit events, newest first when listed. */
export interface AuditRepository {
  /** Stores the event. */
  append(event: AuditEvent): Promise<void>;
  /** Events of one organization (null: platform events), newest first. */
  list(
    orgId: string | null,
    filter: AuditFilter,
    page: PageRequest,
  ): Promise<PageResult<AuditEvent>>;
  /** Events of every organization, newest first: the platform view, for SuperAdmins only. */
  listAll(filter: AuditFilter, page: PageRequest): Promise<PageResult<AuditEvent>>;
}
