import assert from "node:assert/strict";
import {
  defaultOrganizationSettings,
  type Organization,
} from "@/modules/organizations/repository.ts";
import { newUser, type Role, type User } from "@/modules/users/repository.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
import type { TestApp } from "./app.ts";

export const password = "correct horse battery";

/** A tenant made straight in the store: the organization and one active user per role. */
export interface Tenant {
  org: Organization;
  users: Record<Exclude<Role, "SuperAdmin">, User>;
}

let counter = 0;

/** Creates an organization with one user of each role (password `password`). */
export async function aTenant(t: TestApp, name = "Acme"): Promise<Tenant> {
  const now = t.deps.clock.now().toISOString();
  const n = ++counter;
  const slug = `${name.toLowerCase()}-${n}-${crypto.randomUUID().slice(0, 6)}`;
  const org = await t.deps.store.organizations.create({
    id: t.deps.ids.next(),
    name,
    slug,
    active: true,
    settings: defaultOrganizationSettings(),
    createdAt: now,
    updatedAt: now,
  });
  const hash = await hashPassword(password, 4);
  const users = {} as Tenant["users"];
  for (const role of ["Admin", "TL", "QA", "Agent", "Customer"] as const) {
    users[role] = await t.deps.store.users.create(
      aUserRow(t, org.id, role, `${role}.${slug}`, hash),
    );
  }
  return { org, users };
}

/** A platform SuperAdmin made straight in the store. */
export async function aSuperAdmin(t: TestApp): Promise<User> {
  const hash = await hashPassword(password, 4);
  return await t.deps.store.users.create(
    aUserRow(t, null, "SuperAdmin", `root-${crypto.randomUUID().slice(0, 8)}`, hash),
  );
}

function aUserRow(t: TestApp, orgId: string | null, role: Role, local: string, hash: string) {
  return newUser({
    id: t.deps.ids.next(),
    organizationId: orgId,
    name: `${role} user`,
    email: `${local}@example.com`.toLowerCase(),
    passwordHash: hash,
    role,
    maxConcurrentQueries: 5,
    createdAt: t.deps.clock.now().toISOString(),
  });
}

/** Logs in over HTTP and returns the access token; fails the test otherwise. */
export async function login(
  t: TestApp,
  email: string,
  extra: Record<string, unknown> = {},
  ip?: string,
): Promise<string> {
  const res = await t.call("POST", "/api/v1/auth/login", {
    json: { email, password, ...extra },
    ...(ip ? { ip } : {}),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.token;
}

/** Every role's token for a tenant. */
export async function tokensOf(t: TestApp, tenant: Tenant) {
  const out = {} as Record<Exclude<Role, "SuperAdmin">, string>;
  for (const [role, user] of Object.entries(tenant.users)) {
    out[role as keyof typeof out] = await login(t, user.email);
  }
  return out;
}

/** The value of a Set-Cookie header's cookie, or undefined. */
export function cookieValue(res: Response, name: string): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const [k, ...v] = pair!.split("=");
    if (k?.trim() === name) return v.join("=");
  }
  return undefined;
}
