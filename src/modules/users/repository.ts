import type { PageRequest, PageResult } from "@/store/types.ts";
import type { AllowedPlace } from "@/modules/organizations/repository.ts";

export const roles = ["SuperAdmin", "Admin", "TL", "QA", "Agent", "Customer"] as const;
export type Role = (typeof roles)[number];

export type Availability = "online" | "away" | "offline";

/** A contact's value for one of its organization's custom fields (a date is `YYYY-MM-DD`). */
export type CustomValue = string | number | boolean;

export interface Skill {
  name: string;
  level: number;
}

/** A person who signs in: platform SuperAdmin (organizationId null), staff or customer. */
export interface User {
  id: string;
  organizationId: string | null;
  name: string;
  /**
   * Lower-cased; unique within the organization (the SuperAdmins count as one), so the same
   * person may be a customer, or staff, of several organizations.
   */
  email: string;
  /** Null for a contact without a login (made by mail or by staff). */
  passwordHash: string | null;
  role: Role;
  phone: string | null;
  avatarFileId: string | null;
  team: string | null;
  skills: Skill[];
  maxConcurrentQueries: number;
  active: boolean;
  availability: Availability;
  allowedPlaces: AllowedPlace[];
  lastLoginAt: string | null;
  /** Values of the organization's contact fields, by field key. */
  customFields: Record<string, CustomValue>;
  /** Label ids from the organization's set (contacts). */
  labels: string[];
  /**
   * Set on a contact merged into another: it stays only so that its address still finds the
   * contact it became (mail threads, imports); it has no login and is never listed.
   */
  mergedInto: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a new account must say; everything else starts from the defaults of `newUser`. */
export type NewUser =
  & Pick<User, "id" | "organizationId" | "name" | "email" | "passwordHash" | "role" | "createdAt">
  & Partial<User>;

/** A user record as every new account starts: active, offline, no skills, places or login. */
export function newUser(fields: NewUser): User {
  return {
    phone: null,
    avatarFileId: null,
    team: null,
    skills: [],
    maxConcurrentQueries: 0,
    active: true,
    availability: "offline",
    allowedPlaces: [],
    lastLoginAt: null,
    customFields: {},
    labels: [],
    mergedInto: null,
    updatedAt: fields.createdAt,
    ...fields,
  };
}

/** A user as the API shows it: never the password hash; contact data is under /contacts. */
export type PublicUser = Omit<User, "passwordHash" | "customFields" | "labels" | "mergedInto">;

export function publicUser(user: User): PublicUser {
  const {
    passwordHash: _hidden,
    customFields: _fields,
    labels: _labels,
    mergedInto: _merged,
    ...rest
  } = user;
  return rest;
}

export type UserPatch = Partial<
  Pick<
    User,
    | "name"
    | "email"
    | "passwordHash"
    | "role"
    | "phone"
    | "avatarFileId"
    | "team"
    | "skills"
    | "maxConcurrentQueries"
    | "active"
    | "availability"
    | "allowedPlaces"
    | "lastLoginAt"
    | "customFields"
    | "labels"
    | "mergedInto"
  >
>;

export interface UserFilter {
  roles?: Role[];
  active?: boolean;
  team?: string;
  skill?: string;
  /** Matched case-insensitively against name, email and phone. */
  text?: string;
  /** Only these users. */
  ids?: string[];
  /** Contacts merged into another are left out unless this is true. */
  withMerged?: boolean;
  /** A custom field holding exactly this value. */
  customField?: { key: string; value: CustomValue };
  /** Carrying this label id. */
  label?: string;
}

export const userSortFields = ["createdAt", "updatedAt", "name", "email"] as const;
export type UserSort = { field: (typeof userSortFields)[number]; order: "asc" | "desc" };

/** Storage of users. `orgId` null addresses platform users (SuperAdmins). */
export interface UserRepository {
  /** Stores a new user; ConflictError when the email is taken in its organization. */
  create(user: User): Promise<User>;
  /** The user in this organization, or null. */
  findById(orgId: string | null, id: string): Promise<User | null>;
  /** The user with this email in this organization (null: the SuperAdmins), or null. */
  findByEmail(orgId: string | null, email: string): Promise<User | null>;
  /**
   * The accounts with this email in any organization (only those with a password when
   * `withPassword`), most recently signed-in first, at most `limit`: a login or password reset
   * that names no organization tries each.
   */
  findAllByEmail(email: string, options: { limit: number; withPassword: boolean }): Promise<User[]>;
  /** Users of the organization, sorted by creation unless `sort` says otherwise. */
  list(
    orgId: string | null,
    filter: UserFilter,
    page: PageRequest,
    sort?: UserSort,
  ): Promise<PageResult<User>>;
  /** Applies the patch and returns the new state, or null when missing in this organization. */
  update(
    orgId: string | null,
    id: string,
    patch: UserPatch,
    updatedAt: string,
  ): Promise<User | null>;
  /**
   * Contacts of any organization merged into another and changed since `since` (the merges a
   * sweep completes when an instance stopped half-way), oldest first, at most `limit`.
   */
  mergedSince(since: string, limit: number): Promise<User[]>;
  /** Takes the label off every user of the organization that carries it. */
  removeLabel(orgId: string, labelId: string): Promise<number>;
  /** Removes a custom field's value from every user of the organization. */
  unsetCustomField(orgId: string, key: string): Promise<number>;
  /** Removes the user for good (a contact's erasure); false when missing here. */
  delete(orgId: string, id: string): Promise<boolean>;
}
