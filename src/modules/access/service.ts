import type { Deps } from "@/deps.ts";
import { AppError, notFound } from "@/errors.ts";
import type { Actor } from "@/modules/users/actor.ts";
import { audit } from "@/modules/audit/service.ts";
import type { LoginLocationAccess } from "@/modules/organizations/repository.ts";
import type { Role } from "@/modules/users/repository.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import { geolocate } from "./geo.ts";
import { canonicalRange, rangeContains } from "./ip.ts";
import { checkLocation, type LocationVerdict, type Position } from "./location.ts";
import type { IpRule, LoginAttempt, LoginAttemptFilter } from "./repository.ts";

const changedChannel = "access:changed";
const cacheMs = 5_000;
/** Roles an organization's IP allow-list applies to; customers connect from anywhere. */
export const ipRestrictedRoles: readonly Role[] = ["Admin", "TL", "QA", "Agent"];

/** Whether an organization is active and which addresses its staff may use. */
interface OrgGate {
  active: boolean;
  rules: string[];
}

export interface LocationAccessPatch {
  enforce?: boolean | undefined;
  defaultRadiusMeters?: number | undefined;
  roles?: Role[] | undefined;
  places?:
    | { name: string; latitude: number; longitude: number; radiusMeters?: number | undefined }[]
    | undefined;
}

export type AccessService = ReturnType<typeof createAccessService>;

/** IP allow-lists, location policy, login attempts: checks and their settings. */
export function createAccessService(deps: Deps) {
  const gates = new Map<string, { gate: OrgGate; at: number }>();
  const now = () => deps.clock.now();

  /** The organization's rules while they are fresh in the cache, else undefined. */
  function cachedGate(orgId: string): OrgGate | undefined {
    const cached = gates.get(orgId);
    return cached && Date.now() - cached.at < cacheMs ? cached.gate : undefined;
  }

  async function gate(orgId: string): Promise<OrgGate | null> {
    const cached = cachedGate(orgId);
    if (cached) return cached;
    const org = await deps.store.organizations.findById(orgId);
    if (!org) return null;
    const rules = (await deps.store.ipRules.all(orgId)).map((r) => r.value);
    const fresh = { active: org.active, rules };
    gates.set(orgId, { gate: fresh, at: Date.now() });
    return fresh;
  }

  function admit(g: OrgGate | null, role: Role, ip: string): void {
    if (!g || !g.active) throw new AppError("FORBIDDEN", "This organization is deactivated");
    if (
      ipRestrictedRoles.includes(role) && g.rules.length > 0 &&
      !g.rules.some((r) => rangeContains(r, ip))
    ) {
      throw new AppError("IP_DENIED", `Access from ${ip} is not allowed for this organization`);
    }
  }

  async function changed(orgId: string) {
    gates.delete(orgId);
    await deps.bus.publish(changedChannel, { orgId });
  }

  async function orgOf(orgId: string) {
    const org = await deps.store.organizations.findById(orgId);
    if (!org) throw notFound("Organization", orgId);
    return org;
  }

  return {
    /** Drops cached gates when another instance changes an organization's access. */
    async start() {
      await deps.bus.subscribe(changedChannel, (p) => {
        const orgId = (p as { orgId?: unknown }).orgId;
        if (typeof orgId === "string") gates.delete(orgId);
      });
    },
    /** Forget what is cached about the organization here and on every instance. */
    changed,
    /**
     * Refuses a request or login of an organization that is deactivated (FORBIDDEN), or of
     * staff from an address outside a non-empty allow-list (IP_DENIED). Answers at once from
     * cached rules; returns a promise only when it must read them.
     */
    enforce(orgId: string, role: Role, ip: string): Promise<void> | void {
      const cached = cachedGate(orgId);
      if (cached) return admit(cached, role, ip);
      return gate(orgId).then((g) => admit(g, role, ip));
    },
    /** Records a login attempt with the country and city of its address. */
    async recordAttempt(a: Omit<LoginAttempt, "id" | "at" | "country" | "city">) {
      const place = await geolocate(a.ip);
      await deps.store.loginAttempts.append({
        ...a,
        ...place,
        id: deps.ids.next(),
        at: now().toISOString(),
      });
    },
    async history(
      { orgId }: Actor,
      filter: LoginAttemptFilter,
      page: PageRequest,
    ): Promise<PageResult<LoginAttempt>> {
      await orgOf(orgId); // 404 for an organization that does not exist, not an empty page
      return await deps.store.loginAttempts.list(orgId, filter, page);
    },
    /** The caller's location policy at a position, without logging in. */
    async validate(
      auth: { userId: string; orgId: string | null },
      position: Position,
    ): Promise<LocationVerdict> {
      const user = auth.orgId ? await deps.store.users.findById(auth.orgId, auth.userId) : null;
      if (!auth.orgId || !user) return { required: false };
      const org = await orgOf(auth.orgId);
      return checkLocation(org.settings.loginLocationAccess, user, position);
    },
    async locationAccess({ orgId }: Actor): Promise<LoginLocationAccess> {
      return (await orgOf(orgId)).settings.loginLocationAccess;
    },
    /** Applies the patch; without `enforce` in it, flips enforcement (the toggle). */
    async toggleLocationAccess(
      actor: Actor,
      patch: LocationAccessPatch,
    ): Promise<LoginLocationAccess> {
      const { orgId } = actor;
      const ip = actor.ip ?? null;
      const org = await orgOf(orgId);
      const before = org.settings.loginLocationAccess;
      const next: LoginLocationAccess = {
        enforce: patch.enforce ?? !before.enforce,
        defaultRadiusMeters: patch.defaultRadiusMeters ?? before.defaultRadiusMeters,
        roles: patch.roles ?? before.roles,
        places: patch.places
          ? patch.places.map((p) => ({
            id: deps.ids.next(),
            name: p.name,
            latitude: p.latitude,
            longitude: p.longitude,
            radiusMeters: p.radiusMeters ?? patch.defaultRadiusMeters ?? before.defaultRadiusMeters,
          }))
          : before.places,
      };
      const updated = await deps.store.organizations.update(
        orgId,
        { settings: { ...org.settings, loginLocationAccess: next } },
        now().toISOString(),
      );
      if (!updated) throw notFound("Organization", orgId);
      await audit(deps, {
        organizationId: orgId,
        action: "location_access.changed",
        actor,
        targetType: "organization",
        targetId: orgId,
        ip,
        details: { enforce: next.enforce, roles: next.roles, places: next.places.length },
      });
      return updated.settings.loginLocationAccess;
    },
    async listRules({ orgId }: Actor, page: PageRequest) {
      return await deps.store.ipRules.list(orgId, page);
    },
    async addRule(
      actor: Actor,
      input: { value: string; note?: string | undefined },
    ): Promise<IpRule> {
      const { orgId } = actor;
      const ip = actor.ip ?? null;
      const value = canonicalRange(input.value);
      if (!value) {
        throw new AppError("VALIDATION_FAILED", `Invalid address or range "${input.value}"`, {
          details: [{ path: "value", message: "expected an IPv4 or IPv6 address or CIDR range" }],
        });
      }
      const rule = await deps.store.ipRules.create({
        id: deps.ids.next(),
        organizationId: orgId,
        value,
        note: input.note ?? null,
        createdBy: actor.userId,
        createdAt: now().toISOString(),
      });
      await changed(orgId);
      await audit(deps, {
        organizationId: orgId,
        action: "ip_rule.added",
        actor,
        targetType: "ip_rule",
        targetId: rule.id,
        ip,
        details: { value },
      });
      return rule;
    },
    async removeRule(actor: Actor, id: string) {
      const { orgId } = actor;
      const ip = actor.ip ?? null;
      if (!await deps.store.ipRules.delete(orgId, id)) throw notFound("Allow-list entry", id);
      await changed(orgId);
      await audit(deps, {
        organizationId: orgId,
        action: "ip_rule.removed",
        actor,
        targetType: "ip_rule",
        targetId: id,
        ip,
      });
    },
  };
}
