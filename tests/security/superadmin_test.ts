import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aSuperAdmin, aTenant, login, tokensOf } from "@tests/helpers/identity.ts";
import type { TestApp } from "@tests/helpers/app.ts";

type Doc = { paths: Record<string, Record<string, unknown>> };

/** Every operation under /api/v1/superadmin, from the served document: none is left out. */
async function superadminOperations(t: TestApp) {
  const doc: Doc = await (await t.call("GET", "/openapi.json")).json();
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith("/api/v1/superadmin"))
    .flatMap(([path, item]) => Object.keys(item).map((method) => ({ method, path })));
}

/** The concrete path: `{orgId}` is the organization named, any other parameter a made-up id. */
function concrete(path: string, orgId: string): string {
  const url = path.replace("{orgId}", orgId)
    .replace(/\{[^}]+\}/g, "0190aaaa-0000-7000-8000-000000000000");
  return url.endsWith("/reports/export") ? `${url}?type=agents&format=csv` : url;
}

/** `t.call` options with a JSON body where the method takes one. */
function withBody(method: string, token?: string): { token?: string; json?: unknown } {
  return { ...(token ? { token } : {}), ...(method === "get" ? {} : { json: {} }) };
}

const underOrganization = (path: string) =>
  path.startsWith("/api/v1/superadmin/organizations/{orgId}/");

Deno.test("only a SuperAdmin reaches /superadmin: every route, every other role 403, no token 401", async () => {
  const t = await testApp();
  try {
    const tenant = await aTenant(t);
    const tokens = await tokensOf(t, tenant);
    const operations = await superadminOperations(t);
    assert.ok(operations.length >= 20, `${operations.length} superadmin operations`);
    for (const { method, path } of operations) {
      // The caller's own organization: the case that reached the reports before.
      const url = concrete(path, tenant.org.id);
      for (const [role, token] of Object.entries(tokens)) {
        const res = await t.call(method.toUpperCase(), url, withBody(method, token));
        const body = await res.json();
        assert.equal(res.status, 403, `${role} ${method} ${url}: ${JSON.stringify(body)}`);
        assert.equal(body.error.code, "FORBIDDEN");
      }
      const anonymous = await t.call(method.toUpperCase(), url, withBody(method));
      await anonymous.body?.cancel();
      assert.equal(anonymous.status, 401, `anonymous ${method} ${url}`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("every /superadmin/organizations/{orgId}/ route answers 404 for an unknown organization and stores nothing", async () => {
  const t = await testApp();
  try {
    const root = await login(t, (await aSuperAdmin(t)).email);
    const operations = (await superadminOperations(t)).filter((op) => underOrganization(op.path));
    // audit, location history and access, the email-config and report routes.
    assert.ok(operations.length >= 16, `${operations.length} operations under an organization`);
    for (const orgId of ["not-an-org", crypto.randomUUID()]) {
      for (const { method, path } of operations) {
        const url = concrete(path, orgId);
        const res = await t.call(method.toUpperCase(), url, withBody(method, root));
        const body = await res.json();
        assert.equal(res.status, 404, `${method} ${url}: ${JSON.stringify(body)}`);
        assert.match(body.error.message, new RegExp(`Organization "${orgId}" not found`));
      }
    }
    // The review's request: a valid mailbox for an organization that does not exist.
    const res = await t.call("POST", "/api/v1/superadmin/organizations/not-an-org/email-config", {
      token: root,
      json: mailbox(),
    });
    await res.body?.cancel();
    assert.equal(res.status, 404);
    assert.equal(await mailboxCount(t, "not-an-org"), 0, "nothing stored for the unknown one");
  } finally {
    await t.close();
  }
});

Deno.test("a deactivated organization is read-only under /superadmin/organizations/{orgId}/: writes 409, reads answer", async () => {
  const t = await testApp();
  try {
    const root = await login(t, (await aSuperAdmin(t)).email);
    const tenant = await aTenant(t);
    const orgId = tenant.org.id;
    const made = await t.call("POST", `/api/v1/superadmin/organizations/${orgId}/email-config`, {
      token: root,
      json: mailbox(),
    });
    assert.equal(made.status, 201, await made.clone().text());
    await made.body?.cancel();
    const off = await t.call("DELETE", `/api/v1/superadmin/organizations/${orgId}`, {
      token: root,
    });
    assert.equal(off.status, 200);
    await off.body?.cancel();

    const operations = (await superadminOperations(t)).filter((op) => underOrganization(op.path));
    for (const { method, path } of operations) {
      const url = concrete(path, orgId);
      const res = await t.call(method.toUpperCase(), url, withBody(method, root));
      const body = await res.clone().text();
      await res.body?.cancel();
      if (method === "get") {
        // Reads go on: a list or report answers, an unknown object id is its own 404.
        assert.ok([200, 404].includes(res.status), `${method} ${url}: ${res.status} ${body}`);
        if (res.status === 404) assert.doesNotMatch(body, /Organization/);
      } else {
        assert.equal(res.status, 409, `${method} ${url}: ${body}`);
        assert.equal(JSON.parse(body).error.code, "ORGANIZATION_DEACTIVATED");
      }
    }
    assert.equal(await mailboxCount(t, orgId), 1, "the mailbox made before is the only one");
    // The organization itself stays writable: a SuperAdmin can reactivate it.
    const on = await t.call("PUT", `/api/v1/superadmin/organizations/${orgId}`, {
      token: root,
      json: { active: true },
    });
    assert.equal(on.status, 200);
    assert.equal((await on.json()).organization.active, true);
    const again = await t.call("POST", `/api/v1/superadmin/organizations/${orgId}/email-config`, {
      token: root,
      json: mailbox("second@example.com"),
    });
    await again.body?.cancel();
    assert.equal(again.status, 201);
  } finally {
    await t.close();
  }
});

function mailbox(email = "support@desk.test") {
  return {
    name: "Support",
    email,
    imap: { host: "imap.desk.test", port: 993, secure: true, user: "support", password: "pw-1" },
    smtp: { host: "smtp.desk.test", port: 465, secure: true, user: "support", password: "pw-2" },
  };
}

/** How many mailboxes the store holds for the organization. */
async function mailboxCount(t: TestApp, orgId: string): Promise<number> {
  const found = await t.deps.store.documents("mailboxes").find(orgId, {
    sort: [["id", "asc"]],
    page: { page: 1, limit: 10 },
  });
  return found.total;
}
