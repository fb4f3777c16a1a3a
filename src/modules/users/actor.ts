import type { Role } from "./repository.ts";

/** Someone acting inside an organization: who, where, and in which role. */
export interface Actor {
  userId: string;
  orgId: string;
  role: Role;
  /** The caller's address, for the audit log (absent for jobs and the server's own work). */
  ip?: string | undefined;
  /** Set when an API key acts (an integration, never a user; `userId` is `apikey:<id>`). */
  integration?: { keyId: string; name: string };
  /** Set when a widget visitor acts: a Customer contact through a web inbox's visitor token. */
  visitor?: { sessionId: string; inboxId: string };
}

/**
 * Who acts where no organization is in play (a SuperAdmin making or changing organizations):
 * an Actor without its organization.
 */
export type Caller = Pick<Actor, "userId" | "role" | "ip">;

/** The staff of an organization: everyone but its customers. */
export const staffRoles = ["Admin", "TL", "QA", "Agent"] as const satisfies readonly Role[];
/** Who leads a desk: assigns, transfers, manages FAQ and leads' settings. */
export const leadRoles = ["Admin", "TL"] as const satisfies readonly Role[];
/** Who oversees every query, room and report of the organization, without being assigned. */
export const supervisorRoles = ["Admin", "TL", "QA"] as const satisfies readonly Role[];
/** Who answers customers: the roles a query can be assigned to and reported on. */
export const answeringRoles = ["Admin", "TL", "Agent"] as const satisfies readonly Role[];

/**
 * What each role may do: the one table. Services ask `can(actor.role, action)`; routes name
 * their action with `requirePermission`. Which organization is a separate rule (`tenant`).
 */
export const permissions = {
  "platform.manage": ["SuperAdmin"],
  "organization.read": ["SuperAdmin", "Admin"],
  "organization.update": ["SuperAdmin", "Admin"],
  "staff.read": ["SuperAdmin", ...supervisorRoles],
  "staff.manage": ["SuperAdmin", "Admin"],
  "access.manage": ["SuperAdmin", "Admin"],
  "audit.read": ["SuperAdmin", "Admin"],
  "location.history": ["SuperAdmin", "Admin"],
  "profile.self": ["SuperAdmin", ...staffRoles, "Customer"],
  "reports.read": ["SuperAdmin", ...supervisorRoles],
  "leads.manage": ["SuperAdmin", ...leadRoles],
  "queries.read": [...staffRoles, "Customer"],
  "queries.create": [...answeringRoles, "Customer"],
  "queries.work": answeringRoles,
  "queries.lead": leadRoles,
  "queries.rate": ["Customer"],
  "routing.availability": answeringRoles,
  "routing.read": supervisorRoles,
  "support.settings": ["Admin"],
  "notifications.self": [...staffRoles, "Customer"],
  "shifts.self": staffRoles,
  "shifts.read": supervisorRoles,
  "faq.read": staffRoles,
  "faq.manage": leadRoles,
  "labels.read": staffRoles,
  "labels.manage": leadRoles,
  "teams.read": staffRoles,
  "teams.manage": leadRoles,
  "business_hours.read": staffRoles,
  /** A customer searches their own conversations (never notes); staff what they may read. */
  "search.read": [...staffRoles, "Customer"],
  /** See, run and keep personal macros. */
  "macros.use": answeringRoles,
  /** Keep the organization's macros. */
  "macros.manage": leadRoles,
  "chat.read": [...staffRoles, "Customer"],
  /** Read every query room of the organization, not only those of one's own queries. */
  "chat.oversee": supervisorRoles,
  "chat.write": [...answeringRoles, "Customer"],
  "chat.direct": answeringRoles,
  /** Write a private note (staff only, never shown to the customer) in a query's room. */
  "chat.note": staffRoles,
  "calls.make": [...answeringRoles, "Customer"],
  "email.manage": ["SuperAdmin", "Admin"],
  "contacts.read": staffRoles,
  /** Every contact of the organization; others see the contacts of queries they may see. */
  "contacts.oversee": supervisorRoles,
  "contacts.write": answeringRoles,
  "contacts.merge": leadRoles,
  /** The GDPR rights: a contact's export and erasure. */
  "contacts.privacy": ["Admin"],
  "customFields.read": staffRoles,
  "customFields.manage": ["Admin"],
  "webhooks.manage": ["Admin"],
  "apiKeys.manage": ["Admin"],
  /** Web inboxes: the website chat channels and their widget settings. */
  "widget.manage": ["Admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

/** Whether the role may perform the action. */
export function can(role: Role, action: Permission): boolean {
  return (permissions[action] as readonly Role[]).includes(role);
}

/**
 * The scope an API key needs for each action it may take at all (write scopes include the
 * area's reads). Actions not listed are never an integration's (profiles, staff, settings).
 */
const integrationScopes: Partial<Record<Permission, readonly string[]>> = {
  "queries.read": ["queries:read", "queries:write"],
  "queries.create": ["queries:write"],
  "queries.work": ["queries:write"],
  "queries.lead": ["queries:write"],
  "chat.read": ["chat:read", "chat:write"],
  "chat.oversee": ["chat:read", "chat:write"],
  "chat.write": ["chat:write"],
  "reports.read": ["reports:read"],
  "faq.read": ["faq:read", "faq:write"],
  "faq.manage": ["faq:write"],
  "webhooks.manage": ["webhooks:write"],
};

/** Whether an API key with these scopes may perform the action. */
export function integrationMay(scopes: readonly string[], action: Permission): boolean {
  return (integrationScopes[action] ?? []).some((s) => scopes.includes(s));
}
