import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import { findAll } from "@/store/documents.ts";

/** A team of an organization: its members (staff, each in any number of teams) share a queue. */
export interface Team {
  id: string;
  organizationId: string;
  name: string;
  description: string;
  /** User ids of its members. */
  members: string[];
  createdAt: string;
  updatedAt: string;
}

/** A team named by id or by name (any case), or null. */
export async function teamNamed(
  deps: Pick<Deps, "store">,
  orgId: string,
  idOrName: string,
): Promise<Team | null> {
  const docs = deps.store.documents("teams");
  const byId = await docs.get(orgId, idOrName);
  if (byId) return byId;
  const key = idOrName.trim().toLowerCase();
  return (await findAll(docs, orgId, {})).find((t) => t.name.toLowerCase() === key) ?? null;
}

/**
 * The id of the team named by id or name (older clients send the name), null for null; 422 when
 * the organization has no such team.
 */
export async function teamIdOf(
  deps: Pick<Deps, "store">,
  orgId: string,
  idOrName: string | null,
  path = "team",
): Promise<string | null> {
  if (idOrName === null) return null;
  const team = await teamNamed(deps, orgId, idOrName);
  if (!team) {
    throw new AppError("UNPROCESSABLE", `No team "${idOrName}" in this organization`, {
      details: [{ path, message: `no team "${idOrName}" here` }],
    });
  }
  return team.id;
}

/** The teams the user belongs to. */
export async function teamsOf(
  deps: Pick<Deps, "store">,
  orgId: string,
  userId: string,
): Promise<Team[]> {
  const found = await deps.store.documents("teams").find(orgId, {
    contains: { field: "members", value: userId },
    sort: [["name", "asc"]],
    page: { page: 1, limit: 500 },
  });
  return found.data;
}
