import type { Deps } from "@/deps.ts";
import { AppError, ConflictError, notFound } from "@/errors.ts";
import { openStatuses, type Query } from "@/modules/queries/model.ts";
import { findAll } from "@/store/documents.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import type { Team } from "./model.ts";

export type TeamInput = Pick<Team, "name" | "description" | "members">;

export interface TeamService {
  list(orgId: string, page: PageRequest): Promise<PageResult<Team>>;
  get(orgId: string, id: string): Promise<Team>;
  /** 409 when a team has that name, whatever its case; 422 for a member who is not staff. */
  create(orgId: string, input: Partial<TeamInput> & Pick<TeamInput, "name">): Promise<Team>;
  update(orgId: string, id: string, patch: Partial<TeamInput>): Promise<Team>;
  /** 409 while open queries wait on the team; resolved ones keep its id. */
  remove(orgId: string, id: string): Promise<void>;
  /** The team's own queue: its waiting queries, oldest first. */
  queue(orgId: string, id: string, page: PageRequest): Promise<PageResult<Query>>;
}

export function createTeamService(deps: Pick<Deps, "store" | "clock" | "ids">): TeamService {
  const { store } = deps;
  const docs = store.documents("teams");
  const now = () => deps.clock.now().toISOString();

  async function found(orgId: string, id: string): Promise<Team> {
    return await docs.get(orgId, id) ?? (() => {
      throw notFound("Team", id);
    })();
  }

  async function uniqueName(orgId: string, name: string, self?: string) {
    const key = name.toLowerCase();
    const taken = (await findAll(docs, orgId, {}))
      .find((t) => t.name.toLowerCase() === key && t.id !== self);
    if (taken) throw new ConflictError(`A team "${taken.name}" already exists`);
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
    async create(orgId, input) {
      await uniqueName(orgId, input.name);
      const at = now();
      return await docs.insert({
        id: deps.ids.next(),
        organizationId: orgId,
        name: input.name,
        description: input.description ?? "",
        members: await staffOnly(orgId, input.members ?? []),
        createdAt: at,
        updatedAt: at,
      });
    },
    async update(orgId, id, patch) {
      await found(orgId, id);
      if (patch.name !== undefined) await uniqueName(orgId, patch.name, id);
      const members = patch.members ? { members: await staffOnly(orgId, patch.members) } : {};
      const updated = await docs.update(orgId, id, { ...patch, ...members, updatedAt: now() });
      if (!updated) throw notFound("Team", id);
      return updated;
    },
    async remove(orgId, id) {
      await found(orgId, id);
      const open = await store.queries.list(
        orgId,
        {
          team: id,
          statuses: [...openStatuses],
        },
        { field: "createdAt", order: "asc" },
        { page: 1, limit: 1 },
      );
      if (open.total > 0) {
        throw new ConflictError(`${open.total} open queries are with this team; move them first`);
      }
      if (!await docs.delete(orgId, id)) throw notFound("Team", id);
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
