import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { ConflictError, notFound } from "@/errors.ts";
import type { Actor } from "@/modules/users/actor.ts";
import { audit } from "@/modules/audit/service.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
import type { AllowedPlace } from "@/modules/organizations/repository.ts";
import {
  newUser,
  type PublicUser,
  publicUser,
  type Skill,
  type User,
  type UserPatch,
} from "@/modules/users/repository.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import type { TokenService } from "@/modules/auth/tokens.ts";
import type { RoutingService } from "@/modules/routing/service.ts";

/** The roles an Admin manages here; Admins and SuperAdmins are made elsewhere. */
export const agentRoles = ["TL", "QA", "Agent"] as const;
export type AgentRole = (typeof agentRoles)[number];

type PlaceInput = Omit<AllowedPlace, "id" | "radiusMeters"> & { radiusMeters?: number | undefined };

export interface NewAgent {
  name: string;
  email: string;
  password: string;
  role: AgentRole;
  phone?: string | null | undefined;
  team?: string | null | undefined;
  skills?: Skill[] | undefined;
  maxConcurrentQueries?: number | undefined;
  active?: boolean | undefined;
  allowedPlaces?: PlaceInput[] | undefined;
}

export type AgentChange = { [K in keyof NewAgent]?: NewAgent[K] | undefined };

export interface AgentFilter {
  role?: AgentRole | undefined;
  active?: boolean | undefined;
  team?: string | undefined;
  skill?: string | undefined;
  q?: string | undefined;
}

/** An Admin's staff accounts (TL, QA, Agent) in the organization the caller acts in. */
export interface StaffService {
  list(actor: Actor, filter: AgentFilter, page: PageRequest): Promise<PageResult<PublicUser>>;
  get(actor: Actor, id: string): Promise<PublicUser>;
  create(actor: Actor, input: NewAgent): Promise<PublicUser>;
  /** A change of password, role or status ends every session of the account. */
  update(actor: Actor, id: string, change: AgentChange): Promise<PublicUser>;
  /** Deactivates the account; its history stays. */
  deactivate(actor: Actor, id: string): Promise<PublicUser>;
}

export function createStaffService(
  deps: Deps & { events: Events },
  tokens: TokenService,
  routing: Pick<RoutingService, "withAvailability">,
): StaffService {
  const shown = async (user: User) => (await routing.withAvailability([publicUser(user)]))[0]!;
  const now = () => deps.clock.now().toISOString();
  const places = (list: PlaceInput[], defaultRadius: number): AllowedPlace[] =>
    list.map((p) => ({
      id: deps.ids.next(),
      name: p.name,
      latitude: p.latitude,
      longitude: p.longitude,
      radiusMeters: p.radiusMeters ?? defaultRadius,
    }));

  async function agent(orgId: string, id: string): Promise<User> {
    const user = await deps.store.users.findById(orgId, id);
    if (!user || !(agentRoles as readonly string[]).includes(user.role)) {
      throw notFound("Agent", id);
    }
    return user;
  }

  async function radius(orgId: string) {
    const org = await deps.store.organizations.findById(orgId);
    return org?.settings.loginLocationAccess.defaultRadiusMeters ?? 500;
  }

  const service: StaffService = {
    async list({ orgId }, f, page) {
      const result = await deps.store.users.list(orgId, {
        roles: f.role ? [f.role] : [...agentRoles],
        ...(f.active !== undefined ? { active: f.active } : {}),
        ...(f.team !== undefined ? { team: f.team } : {}),
        ...(f.skill !== undefined ? { skill: f.skill } : {}),
        ...(f.q ? { text: f.q } : {}),
      }, page);
      return {
        data: await routing.withAvailability(result.data.map(publicUser)),
        total: result.total,
      };
    },
    async get({ orgId }, id) {
      return await shown(await agent(orgId, id));
    },
    async create(actor, input) {
      const { orgId } = actor;
      const at = now();
      const email = input.email.toLowerCase();
      if (await deps.store.users.findByEmail(orgId, email)) {
        throw new ConflictError(`Email "${email}" is already registered`);
      }
      const user = await deps.store.users.create(newUser({
        id: deps.ids.next(),
        organizationId: orgId,
        name: input.name,
        email,
        passwordHash: await hashPassword(input.password, deps.config.bcryptCost),
        role: input.role,
        phone: input.phone ?? null,
        team: input.team ?? null,
        skills: input.skills ?? [],
        maxConcurrentQueries: input.maxConcurrentQueries ?? 5,
        active: input.active ?? true,
        allowedPlaces: places(input.allowedPlaces ?? [], await radius(orgId)),
        createdAt: at,
      }));
      await audit(deps, {
        organizationId: orgId,
        action: "user.created",
        actor,
        targetType: "user",
        targetId: user.id,
        ip: actor.ip ?? null,
        details: { role: user.role },
      });
      return await shown(user);
    },
    async update(actor, id, change) {
      const { orgId } = actor;
      const before = await agent(orgId, id);
      const patch: UserPatch = {};
      for (const key of ["name", "role", "phone", "team", "skills", "active"] as const) {
        if (change[key] !== undefined) (patch as Record<string, unknown>)[key] = change[key];
      }
      if (change.maxConcurrentQueries !== undefined) {
        patch.maxConcurrentQueries = change.maxConcurrentQueries;
      }
      if (change.email !== undefined) patch.email = change.email.toLowerCase();
      if (change.password !== undefined) {
        patch.passwordHash = await hashPassword(change.password, deps.config.bcryptCost);
      }
      if (change.allowedPlaces !== undefined) {
        patch.allowedPlaces = places(change.allowedPlaces, await radius(orgId));
      }
      const user = await deps.store.users.update(orgId, id, patch, now());
      if (!user) throw notFound("Agent", id);
      if (
        patch.passwordHash || patch.active === false || (patch.role && patch.role !== before.role)
      ) {
        // Old tokens carry the old role or status: end every session of the account.
        await deps.store.authSecrets.consumeAll("refresh", id, now());
        await tokens.revokeUser(id);
      }
      const events = [];
      if (patch.role && patch.role !== before.role) {
        events.push({
          action: "user.role_changed",
          details: { from: before.role, to: patch.role },
        });
      }
      if (patch.active !== undefined && patch.active !== before.active) {
        events.push({ action: "user.status_changed", details: { active: patch.active } });
      }
      const rest = Object.keys(patch).filter((k) => k !== "role" && k !== "active");
      if (rest.length) events.push({ action: "user.updated", details: { fields: rest } });
      // Never the password itself: only that it changed.
      const fields = Object.keys(patch).map((k) => k === "passwordHash" ? "password" : k);
      await deps.events.emit("user.changed", { organizationId: orgId, actorId: actor.userId }, {
        userId: id,
        fields,
      });
      for (const e of events) {
        await audit(deps, {
          organizationId: orgId,
          action: e.action as "user.updated",
          actor,
          targetType: "user",
          targetId: id,
          ip: actor.ip ?? null,
          details: e.details,
        });
      }
      return await shown(user);
    },
    async deactivate(actor, id) {
      return await service.update(actor, id, { active: false });
    },
  };
  return service;
}
