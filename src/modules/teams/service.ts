import type { Deps } from "@/deps.ts";
import { AppError, ConflictError, notFound } from "@/errors.ts";
import type { Events } from "@/events.ts";
import { openStatuses, type Query } from "@/modules/queries/model.ts";
import type { Actor } from "@/modules/users/actor.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import { type Team, teamNameKey } from "./model.ts";
import type { BusinessHoursSettings } from "@/modules/business_hours/service.ts";
import type { WebInboxService } from "@/modules/widget/inboxes.ts";

export type TeamInput = Pick<Team, "name" | "description" | "members"> & {
  businessHours: BusinessHoursSettings | null;
};

export interface TeamService {
  list(orgId: string, page: PageRequest): Promise<PageResult<Team>>;
  get(orgId: string, id: string): Promise<Team>;
  /** 409 when a team has that name, whatever its case; 422 for a member who is not staff. */
  create(actor: Actor, input: Partial<TeamInput> & Pick<TeamInput, "name">): Promise<Team>;
  update(actor: Actor, id: string, patch: Partial<TeamInput>): Promise<Team>;
  /** 409 while open queries wait on the team or a web inbox routes to it; resolved ones keep its id. */
  remove(actor: Actor, id: string): Promise<void>;
  /** The team's own queue: its waiting queries, oldest first. */
  queue(orgId: string, id: string, page: PageRequest): Promise<PageResult<Query>>;
}

export function createTeamService(
  deps: Pick<Deps, "store" | "clock" | "ids"> & { events: Events },
  inboxes: Pick<WebInboxService, "routingTo">,
): TeamService {
  const { store, events } = deps;
  const docs = store.documents("teams");
  const now = () => deps.clock.now().toISOString();
  const by = (actor: Actor) => ({ organizationId: actor.orgId, actorId: actor.userId });

  async function found(orgId: string, id: string): Promise<Team> {
    return await docs.get(orgId, id) ?? (() => {
      throw notFound("Team", id);
    })();
  }

  /** The store's unique index on the name key decides; this only words its refusal. */
  async function named<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof ConflictError) {
        throw new ConflictError(`A team "${name.trim()}" already exists`, [
          { path: "name", message: "taken (names are compared whatever their case)" },
        ]);
      }
      throw err;
    }
  }

  async function staffOnly(orgId: string, members: readonly string[]): Promise<string[]> {
    const wanted = [...new Set(members)];
    for (const id of wanted) {
      const user = await store.users.findById(orgId, id);
      if (!user || user.role === "Customer") {
        throw new AppError("UNPROCESSABLE", `No staff member "${id}" in this organization`, {
          details: [{ path: "members", message: `no staff member "${id}" here` }],
        });
      }
    }
    return wanted;
  }

  return {
    async list(orgId, page) {
      return await docs.find(orgId, { sort: [["name", "asc"]], page });
    },
    get: found,
    async create(actor, input) {
      const at = now();
      const members = await staffOnly(actor.orgId, input.members ?? []);
      const team = await named(input.name, () =>
        docs.insert({
          id: deps.ids.next(),
          organizationId: actor.orgId,
          name: input.name,
          nameKey: teamNameKey(input.name),
          description: input.description ?? "",
          members,
          businessHours: input.businessHours ?? null,
          createdAt: at,
          updatedAt: at,
        }));
      await events.emit("team.created", by(actor), { team });
      return team;
    },
    async update(actor, id, patch) {
      const before = await found(actor.orgId, id);
      const members = patch.members ? { members: await staffOnly(actor.orgId, patch.members) } : {};
      const name = patch.name === undefined
        ? {}
        : { name: patch.name, nameKey: teamNameKey(patch.name) };
      const team = await named(
        patch.name ?? "",
        () => docs.update(actor.orgId, id, { ...patch, ...name, ...members, updatedAt: now() }),
      );
      if (!team) throw notFound("Team", id);
      const fields = (["name", "description", "members", "businessHours"] as const)
        .filter((f) => JSON.stringify(before[f] ?? null) !== JSON.stringify(team[f] ?? null));
      await events.emit("team.updated", by(actor), { team, fields: [...fields] });
      return team;
    },
    async remove(actor, id) {
      const team = await found(actor.orgId, id);
      const open = await store.queries.list(
        actor.orgId,
        { team: id, statuses: [...openStatuses] },
        { field: "createdAt", order: "asc" },
        { page: 1, limit: 1 },
      );
      if (open.total > 0) {
        throw new ConflictError(`${open.total} open queries are with this team; move them first`);
      }
      const routing = await inboxes.routingTo(actor.orgId, id);
      if (routing.length > 0) {
        const names = routing.map((name) => `"${name}"`).join(", ");
        throw new ConflictError(`Web inboxes route to this team (${names}); change them first`);
      }
      if (!await docs.delete(actor.orgId, id)) throw notFound("Team", id);
      await events.emit("team.deleted", by(actor), { teamId: id, name: team.name });
    },
    async queue(orgId, id, page) {
      await found(orgId, id);
      return await store.queries.list(
        orgId,
        { team: id, statuses: ["Open"], assignedTo: null },
        { field: "createdAt", order: "asc" },
        page,
      );
    },
  };
}
