import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { AppError, ConflictError, notFound } from "@/errors.ts";
import type { AuthContext } from "@/modules/auth/context.ts";
import type { AccessService } from "@/modules/access/service.ts";
import { audit } from "@/modules/audit/service.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
import { newUser, type PublicUser, publicUser } from "@/modules/users/repository.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import { defaultOrganizationSettings, type Organization } from "./repository.ts";

export interface NewOrganization {
  name: string;
  slug?: string | undefined;
  timezone?: string | undefined;
  admin: { name: string; email: string; password: string };
}

export interface OrganizationChange {
  name?: string | undefined;
  slug?: string | undefined;
  active?: boolean | undefined;
  timezone?: string | undefined;
}

/** "Acme Support Ltd." → "acme-support-ltd" */
export function slugify(name: string): string {
  const slug = name.normalize("NFKD").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(
    /^-+|-+$/g,
    "",
  ).slice(0, 48);
  return slug || "org";
}

/** Tenants: the SuperAdmin's organizations and an Admin's own. */
export function createOrganizationService(deps: Deps & { events: Events }, access: AccessService) {
  const now = () => deps.clock.now().toISOString();

  async function get(id: string): Promise<Organization> {
    const org = await deps.store.organizations.findById(id);
    if (!org) throw notFound("Organization", id);
    return org;
  }

  async function freeSlug(name: string): Promise<string> {
    const base = slugify(name);
    for (let i = 1; i < 50; i++) {
      const slug = i === 1 ? base : `${base}-${i}`;
      if (!await deps.store.organizations.findBySlug(slug)) return slug;
    }
    return `${base}-${deps.ids.next().slice(-8)}`;
  }

  return {
    get,
    async list(
      filter: { active?: boolean | undefined; q?: string | undefined },
      page: PageRequest,
    ): Promise<PageResult<Organization>> {
      return await deps.store.organizations.list({
        ...(filter.active !== undefined ? { active: filter.active } : {}),
        ...(filter.q ? { text: filter.q } : {}),
      }, page);
    },
    /** Makes the organization and its first Admin; nothing is kept when the Admin fails. */
    async create(
      input: NewOrganization,
      actor: AuthContext,
      ip: string,
    ): Promise<{ organization: Organization; admin: PublicUser }> {
      const email = input.admin.email.toLowerCase();
      if (input.slug && await deps.store.organizations.findBySlug(input.slug)) {
        throw new ConflictError(`Slug "${input.slug}" is taken`);
      }
      const at = now();
      const settings = defaultOrganizationSettings();
      if (input.timezone) settings.timezone = input.timezone;
      const organization = await deps.store.organizations.create({
        id: deps.ids.next(),
        name: input.name,
        slug: input.slug ?? await freeSlug(input.name),
        active: true,
        settings,
        createdAt: at,
        updatedAt: at,
      });
      const passwordHash = await hashPassword(input.admin.password, deps.config.bcryptCost);
      let admin;
      try {
        admin = await deps.store.users.create(newUser({
          id: deps.ids.next(),
          organizationId: organization.id,
          name: input.admin.name,
          email,
          passwordHash,
          role: "Admin",
          createdAt: at,
        }));
      } catch (err) {
        // No transactions on the MongoDB subset: leave the half-made tenant deactivated.
        await deps.store.organizations.update(organization.id, { active: false }, now());
        throw err;
      }
      for (
        const [action, targetType, targetId] of [
          ["organization.created", "organization", organization.id],
          ["user.created", "user", admin.id],
        ] as const
      ) {
        await audit(deps, {
          organizationId: organization.id,
          action,
          actor,
          targetType,
          targetId,
          ip,
          details: action === "user.created" ? { role: "Admin" } : { slug: organization.slug },
        });
      }
      return { organization, admin: publicUser(admin) };
    },
    /** Renames, re-slugs, sets the timezone, or (de)activates the organization. */
    async update(
      id: string,
      change: OrganizationChange,
      actor: AuthContext,
      ip: string,
    ): Promise<Organization> {
      const org = await get(id);
      const patch: Parameters<typeof deps.store.organizations.update>[1] = {};
      if (change.name !== undefined) patch.name = change.name;
      if (change.slug !== undefined) patch.slug = change.slug;
      if (change.active !== undefined) patch.active = change.active;
      if (change.timezone !== undefined) {
        patch.settings = { ...org.settings, timezone: change.timezone };
      }
      const updated = await deps.store.organizations.update(id, patch, now());
      if (!updated) throw notFound("Organization", id);
      if (change.active !== undefined && change.active !== org.active) {
        await access.changed(id);
        await audit(deps, {
          organizationId: id,
          action: "organization.status_changed",
          actor,
          targetType: "organization",
          targetId: id,
          ip,
          details: { active: change.active },
        });
      }
      await deps.events.emit(
        "organization.changed",
        { organizationId: id, actorId: actor.userId },
        {
          fields: Object.keys(patch),
        },
      );
      const fields = Object.keys(patch).filter((k) => k !== "active");
      if (fields.length) {
        await audit(deps, {
          organizationId: id,
          action: "organization.updated",
          actor,
          targetType: "organization",
          targetId: id,
          ip,
          details: { fields },
        });
      }
      return updated;
    },
    assertActive(org: Organization) {
      if (!org.active) throw new AppError("FORBIDDEN", "This organization is deactivated");
    },
  };
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;
