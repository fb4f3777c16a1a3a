/**
 * `deno task create-superadmin --email E --password P --name N`: creates the platform
 * SuperAdmin. Asks for what is missing when run in a terminal; a second run with the same
 * email says so and changes nothing; bad input prints one line and exits 1.
 */
import { newUser } from "@/modules/users/repository.ts";
import { parseArgs } from "node:util";
import { z } from "zod";
import type { Deps } from "@/deps.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
import { Name, Password } from "@/modules/users/schemas.ts";
import { ask, cliDeps, CliError, runCli } from "./common.ts";

/** The same rules as every other account: the shared password policy and stored-name rules. */
const Input = z.object({
  email: z.email("expected an email address").max(254).transform((e) => e.toLowerCase()),
  password: Password,
  name: Name.pipe(z.string().min(1, "expected a name")),
});
export type SuperAdminInput = z.input<typeof Input>;

/** Creates the SuperAdmin; "exists" when that email is already a SuperAdmin. */
export async function createSuperAdmin(
  deps: Deps,
  raw: SuperAdminInput,
): Promise<{ outcome: "created" | "exists"; id: string; email: string }> {
  const parsed = await Input.safeParseAsync(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`Invalid --${String(issue.path[0])}: ${issue.message}`);
  }
  const input = parsed.data;
  const existing = await deps.store.users.findByEmail(null, input.email);
  if (existing) return { outcome: "exists", id: existing.id, email: existing.email };
  const at = deps.clock.now().toISOString();
  const user = await deps.store.users.create(newUser({
    id: deps.ids.next(),
    organizationId: null,
    name: input.name,
    email: input.email,
    passwordHash: await hashPassword(input.password, deps.config.bcryptCost),
    role: "SuperAdmin",
    createdAt: at,
  }));
  return { outcome: "created", id: user.id, email: user.email };
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      email: { type: "string" },
      password: { type: "string" },
      name: { type: "string" },
    },
    strict: true,
  });
  const interactive = Deno.stdin.isTerminal();
  const missing = (["email", "password", "name"] as const).filter((k) => !values[k]);
  if (missing.length && !interactive) {
    throw new CliError(`Missing --${missing.join(", --")} (no terminal to ask)`);
  }
  const input = {
    email: values.email ?? await ask("Email:"),
    name: values.name ?? await ask("Name:"),
    password: values.password ??
      await ask("Password (12 to 128 characters, not a common one):", true),
  };
  const deps = await cliDeps();
  try {
    const result = await createSuperAdmin(deps, input);
    console.log(
      result.outcome === "created"
        ? `Created SuperAdmin ${result.email} (id ${result.id})`
        : `SuperAdmin ${result.email} already exists; nothing changed`,
    );
  } finally {
    await deps.close();
  }
}

if (import.meta.main) {
  await runCli(async () => {
    try {
      await main();
    } catch (err) {
      // parseArgs throws TypeError for unknown flags: that is bad input, one line.
      if (err instanceof TypeError && "code" in err) throw new CliError(err.message);
      throw err;
    }
  });
}
