import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import type { BusinessHoursSettings } from "@/modules/business_hours/service.ts";

/** A team of an organization: its members (staff, each in any number of teams) share a queue. */
export interface Team {
  id: string;
  organizationId: string;
  name: string;
  description: string;
  /** User ids of its members. */
  members: string[];
  /** Its own business hours, overriding the organization's for its queries; null: the org's. */
  businessHours?: BusinessHoursSettings | null;
  /** The name as compared for uniqueness (see `teamNameKey`); unique in the organization. */
  nameKey: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * A team's name as compared: Unicode-normalized, trimmed, inner spaces as one, lower case
 * ("Billing  EU" = "billing eu ").
 */
export function teamNameKey(name: string): string {
  return name.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();
}

/**
 * Name keys for an organization's teams, oldest first, for the migration that made names
 * unique: a later team whose name an earlier one took is renamed "Name (2)", "Name (3)"…, so
 * every team and every value is kept.
 */
export function distinctTeamNames(
  teams: readonly { id: string; name: string }[],
): Map<string, { name: string; nameKey: string }> {
  const taken = new Set<string>();
  const out = new Map<string, { name: string; nameKey: string }>();
  for (const team of teams) {
    let name = team.name;
    for (let n = 2; taken.has(teamNameKey(name)); n++) name = `${team.name.trim()} (${n})`;
    taken.add(teamNameKey(name));
    out.set(team.id, { name, nameKey: teamNameKey(name) });
  }
  return out;
}

/** The team as the API shows it: without its organization and its name key. */
export function teamView(
  { organizationId: _org, nameKey: _key, ...team }: Team,
): Omit<Team, "organizationId" | "nameKey" | "businessHours"> & {
  businessHours: BusinessHoursSettings | null;
} {
  return { ...team, businessHours: team.businessHours ?? null };
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
  const found = await docs.find(orgId, {
    where: { nameKey: teamNameKey(idOrName) },
    sort: [["id", "asc"]],
    page: { page: 1, limit: 1 },
  });
  return found.data[0] ?? null;
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
