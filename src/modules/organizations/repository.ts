import type { PageRequest, PageResult } from "@/store/types.ts";
import type { Role } from "@/modules/users/repository.ts";

/** A named spot a login may be made from, with its own radius. */
export interface AllowedPlace {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  radiusMeters: number;
}

/** Location-restricted login for an organization. */
export interface LoginLocationAccess {
  enforce: boolean;
  defaultRadiusMeters: number;
  roles: Role[];
  places: AllowedPlace[];
}

/** Per-organization settings; each capability adds its own keys here. */
export interface OrganizationSettings {
  timezone: string;
  loginLocationAccess: LoginLocationAccess;
  [key: string]: unknown;
}

export interface Organization {
  id: string;
  name: string;
  slug: string;
  active: boolean;
  settings: OrganizationSettings;
  createdAt: string;
  updatedAt: string;
}

export type OrganizationPatch = Partial<
  Pick<Organization, "name" | "slug" | "active" | "settings">
>;

/** Storage of organizations (tenants). Slugs are unique. */
export interface OrganizationRepository {
  /** Stores a new organization; ConflictError when the slug is taken. */
  create(org: Organization): Promise<Organization>;
  /** The organization, or null. */
  findById(id: string): Promise<Organization | null>;
  /** The organization with this slug, or null. */
  findBySlug(slug: string): Promise<Organization | null>;
  /** Organizations sorted by creation, optionally only active ones or matching a text. */
  list(
    filter: { active?: boolean; text?: string },
    page: PageRequest,
  ): Promise<PageResult<Organization>>;
  /** Applies the patch and returns the new state, or null when missing. */
  update(id: string, patch: OrganizationPatch, updatedAt: string): Promise<Organization | null>;
}

/** Every active organization, a page at a time: how jobs visit each tenant in turn. */
export async function* activeOrganizations(
  organizations: OrganizationRepository,
): AsyncGenerator<Organization> {
  for (let page = 1;; page++) {
    const found = await organizations.list({ active: true }, { page, limit: 100 });
    yield* found.data;
    if (page * 100 >= found.total || found.data.length === 0) return;
  }
}

export function defaultOrganizationSettings(): OrganizationSettings {
  return {
    timezone: "UTC",
    loginLocationAccess: { enforce: false, defaultRadiusMeters: 500, roles: [], places: [] },
  };
}
