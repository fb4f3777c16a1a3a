/**
 * `deno task seed [--reset] [--password P]`: a demo organization with an Admin, a TL, a QA,
 * three Agents with skills and five Customers; prints the logins. Refuses a store that holds
 * data unless `--reset`, which empties the configured store first.
 *
 * Later capabilities extend the demo by appending a step to `seedSteps`.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Config } from "@/config.ts";
import type { Deps } from "@/deps.ts";
import { buildServices, type Services } from "@/services.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
import {
  defaultOrganizationSettings,
  type Organization,
} from "@/modules/organizations/repository.ts";
import { newUser, type Role, type Skill, type User } from "@/modules/users/repository.ts";
import { cliDeps, CliError, runCli } from "./common.ts";
import { seedSupport } from "./seed_support.ts";
import { seedWorkspace } from "./seed_workspace.ts";
import { seedWidget } from "./seed_widget.ts";

/** What the steps share: the demo tenant and everyone made so far. */
export interface SeedContext {
  deps: Deps;
  /** The same services the API uses, so what the seed makes has real history and events. */
  services: Services;
  password: string;
  org: Organization;
  users: User[];
  /** Lines printed at the end (logins, counts). */
  report: string[];
}

export type SeedStep = (ctx: SeedContext) => Promise<void>;

const people: { name: string; role: Role; team?: string; skills?: Skill[] }[] = [
  { name: "Ada Admin", role: "Admin" },
  { name: "Tom Lead", role: "TL", team: "support" },
  { name: "Quinn Quality", role: "QA", team: "support" },
  {
    name: "Alice Agent",
    role: "Agent",
    team: "support",
    skills: [{ name: "billing", level: 4 }, { name: "english", level: 5 }],
  },
  {
    name: "Bob Agent",
    role: "Agent",
    team: "support",
    skills: [{ name: "technical", level: 4 }, { name: "english", level: 4 }],
  },
  {
    name: "Chloe Agent",
    role: "Agent",
    team: "support",
    skills: [{ name: "billing", level: 2 }, { name: "french", level: 5 }],
  },
  ...["Carl", "Dana", "Eve", "Finn", "Gia"].map((n) => ({
    name: `${n} Customer`,
    role: "Customer" as const,
  })),
];

/** Staff and customers of the demo organization. */
export const seedPeople: SeedStep = async (ctx) => {
  const { deps } = ctx;
  const hash = await hashPassword(ctx.password, deps.config.bcryptCost);
  for (const p of people) {
    const at = deps.clock.now().toISOString();
    const local = p.name.toLowerCase().replace(/ /g, ".");
    const user = await deps.store.users.create(newUser({
      id: deps.ids.next(),
      organizationId: ctx.org.id,
      name: p.name,
      email: `${local}@demo.chatcrm.test`,
      passwordHash: hash,
      role: p.role,
      team: p.team ?? null,
      skills: p.skills ?? [],
      maxConcurrentQueries: p.role === "Agent" ? 5 : 0,
      createdAt: at,
    }));
    ctx.users.push(user);
    ctx.report.push(`  ${p.role.padEnd(9)} ${user.email}`);
  }
};

/** The steps run in order; each capability appends its own (queries, rooms, FAQ, ...). */
export const seedSteps: SeedStep[] = [seedPeople, seedSupport, seedWorkspace, seedWidget];

/**
 * True when the store already holds an organization (and so tenant data). A SuperAdmin alone
 * does not count, so `create-superadmin` then `seed` works on a fresh data dir.
 */
export async function storeHasData(deps: Deps): Promise<boolean> {
  return (await deps.store.organizations.list({}, { page: 1, limit: 1 })).total > 0;
}

/** Empties the configured store: removes the SQLite file, or drops the MongoDB database. */
export async function resetStore(config: Config): Promise<void> {
  if (config.mongo) {
    const { MongoClient } = await import("mongodb");
    const { databaseInUri } = await import("@/store/mongo/store.ts");
    const client = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      await client.connect();
      await client.db(config.mongo.db ?? databaseInUri(config.mongo.uri) ?? "chatcrm")
        .dropDatabase();
    } finally {
      await client.close();
    }
    return;
  }
  for (const suffix of ["", "-wal", "-shm"]) {
    await Deno.remove(join(config.dataDir, `chatcrm.db${suffix}`)).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
}

/** Seeds the demo organization; returns the printed report. */
export async function seed(deps: Deps, options: { password: string }): Promise<string[]> {
  if (await storeHasData(deps)) {
    throw new CliError("The store already has data; run `deno task seed --reset` to replace it");
  }
  const at = deps.clock.now().toISOString();
  const org = await deps.store.organizations.create({
    id: deps.ids.next(),
    name: "Demo Support",
    slug: "demo",
    active: true,
    settings: defaultOrganizationSettings(),
    createdAt: at,
    updatedAt: at,
  });
  const ctx: SeedContext = {
    deps,
    services: await buildServices(deps),
    password: options.password,
    org,
    users: [],
    report: [`Seeded organization "${org.name}" (slug ${org.slug}, id ${org.id})`, "Logins:"],
  };
  for (const step of seedSteps) await step(ctx);
  ctx.report.push(`Password for every login: ${options.password}`);
  return ctx.report;
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: { reset: { type: "boolean", default: false }, password: { type: "string" } },
    strict: true,
  });
  const password = values.password ?? "demo-password";
  if (password.length < 8) throw new CliError("Invalid --password: expected at least 8 characters");
  if (values.reset) {
    const { loadConfig } = await import("@/config.ts");
    await resetStore(loadConfig({ LOG_LEVEL: "warn", ...Deno.env.toObject() }));
  }
  const deps = await cliDeps();
  try {
    for (const line of await seed(deps, { password })) console.log(line);
  } finally {
    await deps.close();
  }
}

if (import.meta.main) {
  await runCli(async () => {
    try {
      await main();
    } catch (err) {
      if (err instanceof TypeError && "code" in err) throw new CliError(err.message);
      throw err;
    }
  });
}
