import assert from "node:assert/strict";
import { haversineMeters } from "@/modules/access/location.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aSuperAdmin, aTenant, login, password } from "@tests/helpers/identity.ts";

const office = { name: "HQ", latitude: 48.8584, longitude: 2.2945, radiusMeters: 200 };
const inside = { latitude: 48.8590, longitude: 2.2950 }; // ~80 m away
const outside = { latitude: 48.8738, longitude: 2.2950 }; // ~1.7 km away

Deno.test("haversineMeters() measures great-circle distances", () => {
  assert.equal(haversineMeters(inside, inside), 0);
  const parisLondon = haversineMeters(
    { latitude: 48.8566, longitude: 2.3522 },
    { latitude: 51.5074, longitude: -0.1278 },
  );
  assert.ok(Math.abs(parisLondon - 343_500) < 1500, String(parisLondon));
  const d = haversineMeters(office, inside);
  assert.ok(d > 60 && d < 100, String(d));
});

async function enforcedTenant() {
  const t = await testApp();
  const tenant = await aTenant(t);
  const admin = await login(t, tenant.users.Admin.email);
  const res = await t.call("PUT", "/api/v1/admin/location-access/toggle", {
    token: admin,
    json: { enforce: true, roles: ["Agent", "TL"], places: [office], defaultRadiusMeters: 100 },
  });
  assert.equal(res.status, 200);
  return { t, ...tenant, admin };
}

const tryLogin = (t: Awaited<ReturnType<typeof testApp>>, email: string, extra = {}) =>
  t.call("POST", "/api/v1/auth/login", { json: { email, password, ...extra } });

Deno.test("location-restricted login: inside passes, outside and missing are refused", async () => {
  const { t, users, org, admin } = await enforcedTenant();
  try {
    const missing = await tryLogin(t, users.Agent.email);
    assert.equal(missing.status, 403);
    assert.equal((await missing.json()).error.code, "LOCATION_REQUIRED");
    const far = await tryLogin(t, users.Agent.email, outside);
    assert.equal(far.status, 403);
    const farBody = await far.json();
    assert.equal(farBody.error.code, "LOCATION_DENIED");
    assert.ok(farBody.error.details.distanceMeters > 1500);
    const near = await tryLogin(t, users.Agent.email, { ...inside, accuracy: 15 });
    assert.equal(near.status, 200);
    const qa = await tryLogin(t, users.QA.email);
    assert.equal(qa.status, 200, "QA is not among the enforced roles");
    const badRange = await tryLogin(t, users.Agent.email, { latitude: 95, longitude: 2 });
    assert.equal(badRange.status, 400);

    const history = await t.call("GET", "/api/v1/location/history?limit=10", { token: admin });
    const page = await history.json();
    const agentRows = page.data.filter((a: { userId: string }) => a.userId === users.Agent.id);
    // Same-millisecond records have no defined order (ids are random within a millisecond).
    assert.deepEqual(
      agentRows.map((a: { outcome: string; reason: string | null }) => `${a.outcome} ${a.reason}`)
        .sort(),
      ["denied LOCATION_DENIED", "denied LOCATION_REQUIRED", "success null"],
    );
    const success = agentRows.find((a: { outcome: string }) => a.outcome === "success");
    assert.equal(success.accuracy, 15);
    assert.ok(success.distanceMeters < 100);
    assert.equal(success.organizationId, org.id);
    const denied = await t.call("GET", "/api/v1/location/history?outcome=denied", {
      token: admin,
    });
    assert.equal((await denied.json()).meta.total, 2);

    // A SuperAdmin reads the same history by naming the organization.
    const root = await login(t, (await aSuperAdmin(t)).email);
    const named = await t.call(
      "GET",
      `/api/v1/superadmin/organizations/${org.id}/location/history?outcome=denied`,
      { token: root },
    );
    assert.equal(named.status, 200);
    const namedPage = await named.json();
    assert.equal(namedPage.meta.total, 2);
    assert.ok(namedPage.data.every((a: { organizationId: string }) => a.organizationId === org.id));
    const unnamed = await t.call("GET", "/api/v1/location/history", { token: root });
    assert.equal(unnamed.status, 403, "a SuperAdmin names the organization");
    const nowhere = await t.call(
      "GET",
      `/api/v1/superadmin/organizations/${crypto.randomUUID()}/location/history`,
      { token: root },
    );
    assert.equal(nowhere.status, 404);
    const byAdmin = await t.call(
      "GET",
      `/api/v1/superadmin/organizations/${org.id}/location/history`,
      { token: admin },
    );
    assert.equal(byAdmin.status, 403);
  } finally {
    await t.close();
  }
});

Deno.test("a user's own allowed places count besides the organization's", async () => {
  const { t, users, admin } = await enforcedTenant();
  try {
    const put = await t.call("PUT", `/api/v1/admin/agents/${users.TL.id}`, {
      token: admin,
      json: { allowedPlaces: [{ name: "Home", ...outside, radiusMeters: 50 }] },
    });
    assert.equal(put.status, 200);
    assert.equal((await tryLogin(t, users.TL.email, outside)).status, 200);
    assert.equal((await tryLogin(t, users.Agent.email, outside)).status, 403);
  } finally {
    await t.close();
  }
});

Deno.test("POST /location/validate checks a position without logging in", async () => {
  const { t, users } = await enforcedTenant();
  try {
    const token = await login(t, users.Agent.email, inside);
    const near = await t.call("POST", "/api/v1/location/validate", { token, json: inside });
    const nearBody = await near.json();
    assert.equal(nearBody.required, true);
    assert.equal(nearBody.allowed, true);
    assert.equal(nearBody.place.name, "HQ");
    const far = await t.call("POST", "/api/v1/location/validate", { token, json: outside });
    const farBody = await far.json();
    assert.equal(farBody.allowed, false);
    assert.equal(farBody.reason, "LOCATION_DENIED");
    const bad = await t.call("POST", "/api/v1/location/validate", {
      token,
      json: { latitude: "x", longitude: 1 },
    });
    assert.equal(bad.status, 400);
    const customer = await login(t, users.Customer.email);
    const free = await t.call("POST", "/api/v1/location/validate", {
      token: customer,
      json: outside,
    });
    assert.deepEqual(await free.json(), {
      required: false,
      allowed: true,
      reason: null,
      distanceMeters: null,
      place: null,
    });
  } finally {
    await t.close();
  }
});

Deno.test("PUT .../location-access/toggle flips enforcement and validates the radius", async () => {
  const t = await testApp();
  try {
    const { org, users } = await aTenant(t);
    const admin = await login(t, users.Admin.email);
    const flip = await t.call("PUT", "/api/v1/admin/location-access/toggle", { token: admin });
    assert.equal(flip.status, 200);
    assert.equal((await flip.json()).loginLocationAccess.enforce, true);
    const back = await t.call("PUT", "/api/v1/admin/location-access/toggle", { token: admin });
    assert.equal((await back.json()).loginLocationAccess.enforce, false);
    for (const r of [5, 20000]) {
      const res = await t.call("PUT", "/api/v1/admin/location-access/toggle", {
        token: admin,
        json: { defaultRadiusMeters: r },
      });
      assert.equal(res.status, 400, String(r));
    }
    const get = await t.call("GET", "/api/v1/admin/location-access", { token: admin });
    assert.equal((await get.json()).loginLocationAccess.defaultRadiusMeters, 500);
    const agent = await login(t, users.Agent.email);
    const forbidden = await t.call("PUT", "/api/v1/admin/location-access/toggle", {
      token: agent,
    });
    assert.equal(forbidden.status, 403);
    const audit = await t.deps.store.audit.list(org.id, { action: "location_access.changed" }, {
      page: 1,
      limit: 10,
    });
    assert.equal(audit.total, 2);
  } finally {
    await t.close();
  }
});

Deno.test("a SuperAdmin reads and toggles a named organization's location access", async () => {
  const t = await testApp();
  try {
    const sa = await login(t, (await aSuperAdmin(t)).email);
    const { org } = await aTenant(t);
    const put = await t.call(
      "PUT",
      `/api/v1/superadmin/organizations/${org.id}/location-access/toggle`,
      { token: sa, json: { enforce: true, roles: ["Agent"] } },
    );
    assert.equal(put.status, 200);
    const get = await t.call(
      "GET",
      `/api/v1/superadmin/organizations/${org.id}/location-access`,
      { token: sa },
    );
    assert.deepEqual((await get.json()).loginLocationAccess.roles, ["Agent"]);
    const missing = await t.call(
      "GET",
      "/api/v1/superadmin/organizations/nope/location-access",
      { token: sa },
    );
    assert.equal(missing.status, 404);
    const adminPath = await t.call("GET", "/api/v1/admin/location-access", { token: sa });
    assert.equal(adminPath.status, 403, "a SuperAdmin names the organization in the path");
  } finally {
    await t.close();
  }
});

Deno.test("login attempts record the country and city of public addresses (geoip-lite)", async () => {
  const t = await testApp();
  try {
    const { org, users } = await aTenant(t);
    await login(t, users.Agent.email, {}, "8.8.8.8");
    const [attempt] = (await t.deps.store.loginAttempts.list(org.id, {}, { page: 1, limit: 1 }))
      .data;
    assert.equal(attempt?.ip, "8.8.8.8");
    assert.equal(attempt?.country, "US");
  } finally {
    await t.close();
  }
});
