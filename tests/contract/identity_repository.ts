import assert from "node:assert/strict";
import { ConflictError } from "@/errors.ts";
import { uuidv7 } from "@/ids.ts";
import type { AuditEvent } from "@/modules/audit/repository.ts";
import type { IpRule, LoginAttempt } from "@/modules/access/repository.ts";
import type { AuthSecret, Revocation } from "@/modules/auth/repository.ts";
import { nextTime } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

function anEvent(organizationId: string | null, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: uuidv7(),
    organizationId,
    action: "login.success",
    actorId: "user-1",
    actorRole: "Agent",
    targetType: "user",
    targetId: "user-1",
    ip: "10.0.0.1",
    details: { reason: null, nested: { a: 1 } },
    at: nextTime(),
    ...overrides,
  };
}

function anAttempt(organizationId: string | null, overrides: Partial<LoginAttempt> = {}) {
  return {
    id: uuidv7(),
    organizationId,
    userId: "user-1",
    email: "a@example.com",
    at: nextTime(),
    ip: "8.8.8.8",
    country: "US",
    city: null,
    latitude: 51.5,
    longitude: -0.12,
    accuracy: 20,
    distanceMeters: 12.5,
    outcome: "success",
    reason: null,
    ...overrides,
  } satisfies LoginAttempt;
}

function aRule(organizationId: string, value: string): IpRule {
  return {
    id: uuidv7(),
    organizationId,
    value,
    note: null,
    createdBy: null,
    createdAt: nextTime(),
  };
}

function aSecret(overrides: Partial<AuthSecret> = {}): AuthSecret {
  return {
    id: uuidv7(),
    kind: "reset",
    userId: "user-1",
    organizationId: "org-1",
    hash: crypto.randomUUID(),
    sessionId: null,
    expiresAt: "2030-01-01T00:00:00.000Z",
    attempts: 0,
    usedAt: null,
    createdAt: nextTime(),
    ...overrides,
  };
}

const page = { page: 1, limit: 10 };

/** Audit, login attempts, IP rules and auth secrets: same answers on every store. */
export function identityRepositoryContract(kind: StoreKind): void {
  storeTest(kind, "audit.list() is newest first, per organization, filtered", async (s) => {
    const a1 = anEvent("org-a");
    const a2 = anEvent("org-a", { action: "logout" });
    const b1 = anEvent("org-b");
    const p1 = anEvent(null);
    for (const e of [a1, a2, b1, p1]) await s.audit.append(e);
    const a = await s.audit.list("org-a", {}, page);
    assert.deepEqual(a.data, [a2, a1]);
    assert.equal(a.total, 2);
    assert.deepEqual((await s.audit.list("org-a", { action: "logout" }, page)).data, [a2]);
    assert.deepEqual((await s.audit.list(null, {}, page)).data, [p1]);
    const all = await s.audit.listAll({}, { page: 2, limit: 3 });
    assert.equal(all.total, 4);
    assert.deepEqual(all.data, [a1]);
  });

  storeTest(kind, "loginAttempts.list() pages one organization, newest first", async (s) => {
    const x = anAttempt("org-a");
    const y = anAttempt("org-a", { outcome: "denied", reason: "LOCATION_DENIED", userId: "u2" });
    await s.loginAttempts.append(x);
    await s.loginAttempts.append(y);
    await s.loginAttempts.append(anAttempt("org-b"));
    await s.loginAttempts.append(anAttempt(null, { userId: null }));
    assert.deepEqual((await s.loginAttempts.list("org-a", {}, page)).data, [y, x]);
    assert.deepEqual((await s.loginAttempts.list("org-a", { outcome: "denied" }, page)).data, [y]);
    assert.deepEqual((await s.loginAttempts.list("org-a", { userId: "user-1" }, page)).data, [x]);
  });

  storeTest(kind, "ipRules: unique per organization, deleted only in its own", async (s) => {
    const r = await s.ipRules.create(aRule("org-a", "10.0.0.0/8"));
    await s.ipRules.create(aRule("org-b", "10.0.0.0/8"));
    await assert.rejects(s.ipRules.create(aRule("org-a", "10.0.0.0/8")), ConflictError);
    const r2 = await s.ipRules.create(aRule("org-a", "::1"));
    assert.deepEqual(await s.ipRules.all("org-a"), [r, r2]);
    assert.deepEqual(await s.ipRules.list("org-a", { page: 2, limit: 1 }), {
      data: [r2],
      total: 2,
    });
    assert.equal(await s.ipRules.delete("org-b", r.id), false);
    assert.equal(await s.ipRules.delete("org-a", r.id), true);
    assert.deepEqual(await s.ipRules.all("org-a"), [r2]);
  });

  storeTest(kind, "authSecrets: consume() succeeds once; attempts count", async (s) => {
    const old = await s.authSecrets.create(aSecret());
    const fresh = await s.authSecrets.create(aSecret());
    await s.authSecrets.create(aSecret({ kind: "refresh" }));
    assert.deepEqual(await s.authSecrets.findByHash("reset", old.hash), old);
    assert.equal(await s.authSecrets.findByHash("refresh", old.hash), null);
    assert.deepEqual(await s.authSecrets.latestUnused("reset", "user-1"), fresh);
    assert.equal(await s.authSecrets.addAttempt(fresh.id), 1);
    assert.equal(await s.authSecrets.addAttempt(fresh.id), 2);
    assert.equal(await s.authSecrets.consume(fresh.id, "2026-02-01T00:00:00.000Z"), true);
    assert.equal(await s.authSecrets.consume(fresh.id, "2026-02-01T00:00:00.000Z"), false);
    assert.deepEqual(await s.authSecrets.latestUnused("reset", "user-1"), old);
    await s.authSecrets.consumeAll("reset", "user-1", "2026-02-01T00:00:00.000Z");
    assert.equal(await s.authSecrets.latestUnused("reset", "user-1"), null);
    assert.ok(await s.authSecrets.latestUnused("refresh", "user-1"));
    const used = await s.authSecrets.findByHash("reset", fresh.hash);
    assert.equal(used?.attempts, 2);
    assert.equal(used?.usedAt, "2026-02-01T00:00:00.000Z");
  });

  storeTest(
    kind,
    "authSecrets: a session's refresh tokens end together; others stay",
    async (s) => {
      const at = "2026-02-01T00:00:00.000Z";
      const a1 = await s.authSecrets.create(aSecret({ kind: "refresh", sessionId: "s-a" }));
      const a2 = await s.authSecrets.create(aSecret({ kind: "refresh", sessionId: "s-a" }));
      const b = await s.authSecrets.create(aSecret({ kind: "refresh", sessionId: "s-b" }));
      const old = await s.authSecrets.create(aSecret({ kind: "refresh" }));
      assert.deepEqual(await s.authSecrets.findByHash("refresh", a1.hash), a1);
      await s.authSecrets.consumeSession("s-a", at);
      for (const x of [a1, a2]) {
        assert.equal((await s.authSecrets.findByHash("refresh", x.hash))?.usedAt, at);
      }
      assert.equal((await s.authSecrets.findByHash("refresh", b.hash))?.usedAt, null);
      await s.authSecrets.consumeAll("refresh", "user-1", at, "s-b");
      assert.equal((await s.authSecrets.findByHash("refresh", b.hash))?.usedAt, null, "kept");
      assert.equal((await s.authSecrets.findByHash("refresh", old.hash))?.usedAt, at);
      await s.authSecrets.consumeAll("refresh", "user-1", at);
      assert.equal((await s.authSecrets.findByHash("refresh", b.hash))?.usedAt, at);
    },
  );

  storeTest(
    kind,
    "revocations: the user's unexpired ones, oldest first; purge drops expired",
    async (s) => {
      const r = (over: Partial<Revocation>): Revocation => ({
        id: uuidv7(),
        kind: "session",
        userId: "user-1",
        sessionId: "s-1",
        at: nextTime(),
        expiresAt: "2026-06-01T00:00:00.000Z",
        ...over,
      });
      const first = r({});
      const cut = r({ kind: "user", sessionId: null });
      const expired = r({ expiresAt: "2026-01-01T00:00:00.000Z" });
      const other = r({ userId: "user-2" });
      for (const x of [first, cut, expired, other]) await s.revocations.add(x);
      const now = "2026-03-01T00:00:00.000Z";
      assert.deepEqual(await s.revocations.forUser("user-1", now), [first, cut]);
      assert.deepEqual(await s.revocations.forUser("user-2", now), [other]);
      await s.revocations.purge(now);
      assert.deepEqual(await s.revocations.forUser("user-1", "2025-01-01T00:00:00.000Z"), [
        first,
        cut,
      ]);
      await s.revocations.purge("2026-07-01T00:00:00.000Z");
      assert.deepEqual(await s.revocations.forUser("user-2", "2025-01-01T00:00:00.000Z"), []);
    },
  );
}
