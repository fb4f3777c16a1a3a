import type { Db } from "./db.ts";
import { isDuplicateKey } from "./db.ts";

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
];

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
