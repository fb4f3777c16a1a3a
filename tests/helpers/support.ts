import assert from "node:assert/strict";
import { newUser, type Skill, type User } from "@/modules/users/repository.ts";
import type { TestApp } from "./app.ts";
import { aTenant, login, password, type Tenant } from "./identity.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
import type { SupportSettings } from "@/modules/queries/settings.ts";
import { defaultSupportSettings } from "@/modules/queries/settings.ts";
import { teamNamed, teamNameKey } from "@/modules/teams/model.ts";

/** A tenant with tokens for every role, ready to open and route queries. */
export interface Desk extends Tenant {
  t: TestApp;
  token: Record<keyof Tenant["users"], string>;
}

export async function aDesk(t: TestApp, settings?: Partial<SupportSettings>): Promise<Desk> {
  const tenant = await aTenant(t);
  if (settings) await setSupport(t, tenant.org.id, settings);
  const token = {} as Desk["token"];
  for (const [role, user] of Object.entries(tenant.users)) {
    token[role as keyof Desk["token"]] = await login(t, user.email);
  }
  return { ...tenant, t, token };
}

/** Writes support settings straight into the organization. */
export async function setSupport(t: TestApp, orgId: string, settings: Partial<SupportSettings>) {
  const org = (await t.deps.store.organizations.findById(orgId))!;
  await t.deps.store.organizations.update(orgId, {
    settings: { ...org.settings, support: { ...defaultSupportSettings(), ...settings } },
  }, t.deps.clock.now().toISOString());
}

/** An extra Agent of the desk, logged in; `ready` puts them online and on shift. */
export async function anAgent(
  desk: Desk,
  options: { skills?: Skill[]; max?: number; team?: string; ready?: boolean; name?: string } = {},
): Promise<{ user: User; token: string }> {
  const { t } = desk;
  const now = t.deps.clock.now().toISOString();
  const id = t.deps.ids.next();
  const user = await t.deps.store.users.create(newUser({
    id,
    organizationId: desk.org.id,
    name: options.name ?? `Agent ${id.slice(-4)}`,
    email: `agent-${id}@example.com`,
    passwordHash: await hashPassword(password, 4),
    role: "Agent",
    team: options.team ?? null,
    skills: options.skills ?? [],
    maxConcurrentQueries: options.max ?? 5,
    createdAt: now,
  }));
  if (options.team) await joinTeam(desk, options.team, user.id);
  const token = await login(t, user.email);
  if (options.ready ?? true) await ready(t, token);
  return { user, token };
}

/** Adds the user to the desk's team of that name, made first when there is none. */
export async function joinTeam(desk: Desk, name: string, userId: string) {
  const { t } = desk;
  const docs = t.deps.store.documents("teams");
  const team = await teamNamed(t.deps, desk.org.id, name);
  if (team) return await docs.update(desk.org.id, team.id, { members: [...team.members, userId] });
  const at = t.deps.clock.now().toISOString();
  return await docs.insert({
    id: t.deps.ids.next(),
    organizationId: desk.org.id,
    name,
    nameKey: teamNameKey(name),
    description: "",
    members: [userId],
    createdAt: at,
    updatedAt: at,
  });
}

/** Online and clocked in: the agent takes routed queries from now on. */
export async function ready(t: TestApp, token: string): Promise<void> {
  await expectStatus(
    t.call("PUT", "/api/v1/agents/me/status", { token, json: { status: "online" } }),
    200,
  );
  await expectStatus(t.call("POST", "/api/v1/shifts/clock-in", { token }), 201);
}

/** Awaits the response, asserts its status, and returns its JSON body. */
// deno-lint-ignore no-explicit-any
export async function expectStatus(response: Promise<Response>, status: number): Promise<any> {
  const res = await response;
  const text = await res.text();
  assert.equal(res.status, status, text);
  return text ? JSON.parse(text) : null;
}

/** Opens a query as the desk's customer (or `as` a token, for staff naming the customer). */
export function openQuery(
  desk: Desk,
  body: Record<string, unknown> = {},
  as = desk.token.Customer,
) {
  return expectStatus(
    desk.t.call("POST", "/api/v1/queries", {
      token: as,
      json: { title: "Cannot log in", description: "It says my password is wrong", ...body },
    }),
    201,
  );
}
