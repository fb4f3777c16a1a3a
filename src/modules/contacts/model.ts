import type { CustomValue, User } from "@/modules/users/repository.ts";

/**
 * A customer of one organization, as support teams see it: made by sign-up, by mail, by staff
 * (or the web chat), with or without a portal login. It is the Customer's user record.
 */
export interface Contact {
  id: string;
  organizationId: string;
  name: string;
  email: string;
  phone: string | null;
  /** Whether the contact can sign in to the portal (has a password). */
  hasLogin: boolean;
  active: boolean;
  customFields: Record<string, CustomValue>;
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What replaces the words of an erased contact in the records the team keeps. */
export const erasedMarker = "[erased]";

export function contactOf(user: User): Contact {
  return {
    id: user.id,
    organizationId: user.organizationId ?? "",
    name: user.name,
    email: user.email,
    phone: user.phone,
    hasLogin: user.passwordHash !== null,
    active: user.active,
    customFields: user.customFields,
    lastLoginAt: user.lastLoginAt,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

/**
 * What one module keeps about a contact, for the contact service's merge, export and erasure.
 * Each module that stores something of a customer contributes one; the composition root hands
 * them all to the contact service, so each collection stays with the module that owns it.
 */
export interface ContactRecords {
  /** A merge: what `from` owns in this module becomes `to`'s. Safe to run again. */
  move(orgId: string, from: string, to: string): Promise<void>;
  /** Everything this module stores about the contact, by section name (the GDPR export). */
  export(orgId: string, contactId: string): Promise<Record<string, unknown>>;
  /** An erasure: the contact's personal data leaves this module's records. Safe to run again. */
  erase(orgId: string, contactId: string): Promise<void>;
}
