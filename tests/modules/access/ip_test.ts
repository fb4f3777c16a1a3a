import assert from "node:assert/strict";
import { canonicalRange, rangeContains } from "@/modules/access/ip.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, login, password } from "@tests/helpers/identity.ts";

Deno.test("canonicalRange() accepts IPv4, IPv6 and CIDR and refuses the rest", () => {
  assert.equal(canonicalRange("10.1.2.3"), "10.1.2.3");
  assert.equal(canonicalRange("10.1.2.3/8"), "10.0.0.0/8");
  assert.equal(canonicalRange("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  assert.equal(canonicalRange("2001:db8::/32"), "2001:db8::/32");
  assert.equal(canonicalRange("::ffff:192.0.2.1"), "::ffff:c000:201");
  for (
    const bad of ["256.1.1.1", "1.2.3", "10.0.0.0/33", "::1/129", "1::2::3", "abc", "01.2.3.4"]
  ) {
    assert.equal(canonicalRange(bad), null, bad);
  }
});

Deno.test("rangeContains() matches addresses inside CIDR ranges", () => {
  assert.ok(rangeContains("10.0.0.0/8", "10.200.3.4"));
  assert.ok(!rangeContains("10.0.0.0/8", "11.0.0.1"));
  assert.ok(rangeContains("203.0.113.7", "203.0.113.7"));
  assert.ok(rangeContains("2001:db8::/32", "2001:db8:1::5"));
  assert.ok(!rangeContains("2001:db8::/32", "2001:db9::5"));
  assert.ok(!rangeContains("10.0.0.0/8", "2001:db8::1"));
  assert.ok(rangeContains("192.0.2.0/24", "::ffff:192.0.2.9"));
  assert.ok(rangeContains("0.0.0.0/0", "198.51.100.1"));
});

async function listed(values: string[], env: Record<string, string> = {}) {
  const t = await testApp({ env });
  const tenant = await aTenant(t);
  const admin = await login(t, tenant.users.Admin.email);
  for (const value of values) {
    const res = await t.call("POST", "/api/v1/ip-whitelist", { token: admin, json: { value } });
    assert.equal(res.status, 201, value);
  }
  return { t, ...tenant, admin };
}

const loginFrom = (t: Awaited<ReturnType<typeof testApp>>, email: string, ip: string) =>
  t.call("POST", "/api/v1/auth/login", { json: { email, password }, ip });

Deno.test("IP allow-list: staff log in from listed IPv4, IPv6 and CIDR addresses only", async () => {
  const { t, users, admin } = await listed(["127.0.0.1", "203.0.113.0/24", "2001:db8::/48"]);
  try {
    for (const ip of ["203.0.113.99", "2001:db8:0:1::7", "127.0.0.1"]) {
      assert.equal((await loginFrom(t, users.Agent.email, ip)).status, 200, ip);
    }
    for (const ip of ["198.51.100.1", "2001:db9::1"]) {
      const res = await loginFrom(t, users.Agent.email, ip);
      assert.equal(res.status, 403, ip);
      assert.equal((await res.json()).error.code, "IP_DENIED");
    }
    assert.equal((await loginFrom(t, users.Customer.email, "198.51.100.1")).status, 200);
    const token = await login(t, users.TL.email, {}, "203.0.113.5");
    const elsewhere = await t.call("GET", "/api/v1/auth/me", { token, ip: "198.51.100.1" });
    assert.equal(elsewhere.status, 403, "requests from other addresses are refused too");
    assert.equal((await elsewhere.json()).error.code, "IP_DENIED");
    const list = await t.call("GET", "/api/v1/ip-whitelist", { token: admin });
    const body = await list.json();
    assert.deepEqual(body.data.map((r: { value: string }) => r.value), [
      "127.0.0.1",
      "203.0.113.0/24",
      "2001:db8::/48",
    ]);
    for (const rule of body.data.slice(1)) {
      const del = await t.call("DELETE", `/api/v1/ip-whitelist/${rule.id}`, { token: admin });
      assert.equal(del.status, 204);
    }
    assert.equal((await loginFrom(t, users.Agent.email, "203.0.113.99")).status, 403);
    await t.call("DELETE", `/api/v1/ip-whitelist/${body.data[0].id}`, { token: admin });
    assert.equal((await loginFrom(t, users.Agent.email, "198.51.100.1")).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("POST /ip-whitelist validates entries and refuses duplicates", async () => {
  const { t, admin } = await listed(["127.0.0.1"]);
  try {
    for (const value of ["300.1.1.1", "10.0.0.0/40", "example.com"]) {
      const res = await t.call("POST", "/api/v1/ip-whitelist", { token: admin, json: { value } });
      assert.equal(res.status, 400, value);
    }
    const dup = await t.call("POST", "/api/v1/ip-whitelist", {
      token: admin,
      json: { value: "127.0.0.1/32" },
    });
    assert.equal(dup.status, 409);
  } finally {
    await t.close();
  }
});

Deno.test("X-Forwarded-For counts only with TRUST_PROXY", async () => {
  for (const trust of [false, true]) {
    const { t, users } = await listed(["127.0.0.1", "203.0.113.0/24"], {
      TRUST_PROXY: String(trust),
    });
    try {
      const spoofed = await t.call("POST", "/api/v1/auth/login", {
        json: { email: users.Agent.email, password },
        ip: "198.51.100.1",
        headers: { "x-forwarded-for": "203.0.113.9" },
      });
      assert.equal(spoofed.status, trust ? 200 : 403, `TRUST_PROXY=${trust}`);
      const proxied = await t.call("POST", "/api/v1/auth/login", {
        json: { email: users.Agent.email, password },
        ip: "127.0.0.1",
        headers: { "x-forwarded-for": "198.51.100.1" },
      });
      assert.equal(proxied.status, trust ? 403 : 200, `TRUST_PROXY=${trust}`);
      // A forged first entry is ignored: the proxy appends the address it saw, last.
      const forged = await t.call("POST", "/api/v1/auth/login", {
        json: { email: users.Agent.email, password },
        ip: "127.0.0.1",
        headers: { "x-forwarded-for": "203.0.113.9, 198.51.100.1" },
      });
      assert.equal(forged.status, trust ? 403 : 200, `TRUST_PROXY=${trust}`);
    } finally {
      await t.close();
    }
  }
});
