import type { PageRequest, PageResult } from "@/store/types.ts";

export type LoginOutcome = "success" | "failure" | "denied";

/** One login attempt, successful or not, with where it came from. */
export interface LoginAttempt {
  id: string;
  /** The account's organization when the email matched one; null otherwise. */
  organizationId: string | null;
  userId: string | null;
  email: string;
  at: string;
  ip: string;
  country: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  accuracy: number | null;
  /** Meters to the nearest allowed place, when a location policy was checked. */
  distanceMeters: number | null;
  outcome: LoginOutcome;
  /** Why it failed or was denied (an error code), null on success. */
  reason: string | null;
}

export interface LoginAttemptFilter {
  userId?: string;
  outcome?: LoginOutcome;
}

/** Append-only storage of login attempts. */
export interface LoginAttemptRepository {
  /** Stores the attempt. */
  append(attempt: LoginAttempt): Promise<void>;
  /** Attempts on the organization's accounts, newest first. */
  list(
    orgId: string,
    filter: LoginAttemptFilter,
    page: PageRequest,
  ): Promise<PageResult<LoginAttempt>>;
}

/** An allowed address or CIDR range of an organization's IP allow-list. */
export interface IpRule {
  id: string;
  organizationId: string;
  /** Canonical text: an IPv4 or IPv6 address, or a CIDR range such as "10.0.0.0/8". */
  value: string;
  note: string | null;
  createdBy: string | null;
  createdAt: string;
}

/** Storage of IP allow-list rules; a value appears once per organization. */
export interface IpRuleRepository {
  /** Stores the rule; ConflictError when the organization already lists the value. */
  create(rule: IpRule): Promise<IpRule>;
  /** The organization's rules, oldest first. */
  list(orgId: string, page: PageRequest): Promise<PageResult<IpRule>>;
  /** Every rule of the organization (for checks). */
  all(orgId: string): Promise<IpRule[]>;
  /** Removes the rule; false when it is not in this organization. */
  delete(orgId: string, id: string): Promise<boolean>;
}
