import type { Db } from "./db.ts";
import { isDuplicateKey } from "./db.ts";
import { tagsToLabels } from "./labels.ts";
import { teamNameKeys } from "./teams.ts";
import { backfillCustomerSeqs } from "./messages.ts";
import { uuidv7 } from "@/ids.ts";

/** One versioned change to the stored data, applied once per database. */
export interface MongoMigration {
  /** Prefixed by the capability that owns it, as the SQLite migrations are. */
  name: string;
  up(db: Db): Promise<void>;
}

/**
 * Versioned data changes, applied once each in name order before the indexes are ensured.
 * Each is written to be safe to run again (an instance may die half-way). Never edit an
 * applied migration; add a new one.
 */
export const mongoMigrations: MongoMigration[] = [
  {
    // Customers become contacts of one organization: the email is unique per organization,
    // and the `local+ORGID@domain` logins that mail import made get back their real address.
    name: "0600_contacts",
    async up(db) {
      const users = db.collection<{ _id: string; email: string; organizationId: string | null }>(
        "users",
      );
      if (!await db.listCollections({ name: "users" }).hasNext()) return;
      const indexes = await users.indexes();
      if (indexes.some((i) => i.name === "email_1")) await users.dropIndex("email_1");
      const imported = await users.find({ role: "Customer", email: /\+[^@]+@/ }).toArray();
      for (const user of imported) {
        const suffix = `+${user.organizationId}@`;
        const at = user.email.indexOf(suffix);
        if (!user.organizationId || at < 1) continue;
        const email = user.email.slice(0, at) + user.email.slice(at + suffix.length - 1);
        const taken = await users.findOne({ organizationId: user.organizationId, email });
        if (!taken) await users.updateOne({ _id: user._id }, { $set: { email } });
      }
    },
  },
  // Messages from before notes get their customer seq (their room seq: no note came before).
  { name: "0800_customer_seqs", up: backfillCustomerSeqs },
  // Today's query tags become the organizations' labels, every value kept.
  { name: "0800_labels", up: tagsToLabels },
  // Today's free-text teams become the organizations' teams, every value kept.
  { name: "0810_teams", up: freeTextToTeams },
  // Team names become unique by an index on their name key; a repeated name gets " (2)".
  { name: "0820_team_name_keys", up: teamNameKeys },
];

type TeamDoc = {
  _id: string;
  organizationId: string;
  name: string;
  description: string;
  members: string[];
  createdAt: string;
  updatedAt: string;
};

/**
 * One team per organization and name (whatever its case) of today's `team` values: staff with
 * the value become its members, queries carry its id. Safe to run again: a query whose team is
 * already a team's id is left alone, and members are added as a set.
 */
async function freeTextToTeams(db: Db): Promise<void> {
  const teams = db.collection<TeamDoc>("teams");
  const users = db.collection<
    { _id: string; organizationId: string | null; role: string; team?: string | null }
  >("users");
  const queries = db.collection<{ _id: string; organizationId: string; team?: string | null }>(
    "queries",
  );
  const known = new Map<string, Map<string, string>>();
  const teamsOf = async (orgId: string) => {
    let byName = known.get(orgId);
    if (!byName) {
      byName = new Map();
      for (const t of await teams.find({ organizationId: orgId }).toArray()) {
        byName.set(t.name.toLowerCase(), t._id);
      }
      known.set(orgId, byName);
    }
    return byName;
  };
  const teamId = async (orgId: string, name: string) => {
    const byName = await teamsOf(orgId);
    const key = name.toLowerCase();
    const id = byName.get(key);
    if (id) return id;
    const at = new Date().toISOString();
    const created: TeamDoc = {
      _id: uuidv7(),
      organizationId: orgId,
      name,
      description: "",
      members: [],
      createdAt: at,
      updatedAt: at,
    };
    await teams.insertOne(created);
    byName.set(key, created._id);
    return created._id;
  };
  const staff = await users.find({
    organizationId: { $ne: null },
    role: { $ne: "Customer" },
    team: { $nin: [null, ""] },
  }).project<{ _id: string; organizationId: string; team: string }>({
    organizationId: 1,
    team: 1,
  }).sort({ team: 1 }).toArray();
  for (const u of staff) {
    const id = await teamId(u.organizationId, u.team);
    await teams.updateOne({ _id: id }, { $addToSet: { members: u._id } });
  }
  const values = await queries.aggregate<{ _id: { organizationId: string; team: string } }>([
    { $match: { team: { $nin: [null, ""] } } },
    { $group: { _id: { organizationId: "$organizationId", team: "$team" } } },
  ]).toArray();
  for (const { _id: { organizationId, team } } of values) {
    const ids = new Set((await teamsOf(organizationId)).values());
    if (ids.has(team)) continue;
    const id = await teamId(organizationId, team);
    await queries.updateMany({ organizationId, team }, { $set: { team: id } });
  }
}

const claimStaleMs = 5 * 60_000;

/**
 * Applies the migrations not applied yet. An instance claims each one in `schema_migrations`
 * first; another starting at the same time waits for the claim to finish (or go stale).
 */
export async function migrateMongo(
  db: Db,
  list: MongoMigration[] = mongoMigrations,
): Promise<void> {
  const applied = db.collection<{ _id: string; claimedAt: Date; appliedAt: Date | null }>(
    "schema_migrations",
  );
  for (const m of [...list].sort((a, b) => a.name.localeCompare(b.name))) {
    for (;;) {
      const done = await applied.findOne({ _id: m.name });
      if (done?.appliedAt) break;
      if (done && Date.now() - done.claimedAt.getTime() < claimStaleMs) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      try {
        if (done) await applied.deleteOne({ _id: m.name, claimedAt: done.claimedAt });
        await applied.insertOne({ _id: m.name, claimedAt: new Date(), appliedAt: null });
      } catch (err) {
        if (isDuplicateKey(err)) continue;
        throw err;
      }
      await m.up(db);
      await applied.updateOne({ _id: m.name }, { $set: { appliedAt: new Date() } });
      break;
    }
  }
}
