import type { Db } from "./db.ts";
import { distinctTeamNames } from "@/modules/teams/model.ts";

type TeamDoc = { _id: string; organizationId: string; name: string; nameKey?: string };

/**
 * Each team gets its name key (see `teamNameKey`); a later team whose name an earlier one of its
 * organization took is renamed "Name (2)". Safe to run again: keys are recomputed the same way.
 */
export async function teamNameKeys(db: Db): Promise<void> {
  const teams = db.collection<TeamDoc>("teams");
  const all = await teams.find({}).project<TeamDoc & { createdAt?: string }>({
    organizationId: 1,
    name: 1,
    createdAt: 1,
  }).sort({ organizationId: 1, createdAt: 1, _id: 1 }).toArray();
  for (const orgId of new Set(all.map((t) => t.organizationId))) {
    const names = distinctTeamNames(
      all.filter((t) => t.organizationId === orgId).map((t) => ({ id: t._id, name: t.name })),
    );
    for (const [id, { name, nameKey }] of names) {
      await teams.updateOne({ _id: id }, { $set: { name, nameKey } });
    }
  }
}

/** A team's name is unique in its organization, whatever its case (the store decides). */
export async function ensureTeamIndexes(db: Db): Promise<void> {
  await db.collection("teams").createIndex({ organizationId: 1, nameKey: 1 }, { unique: true });
}
