import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aSuperAdmin, aTenant, login, password } from "@tests/helpers/identity.ts";
import { startSmtp } from "@tests/helpers/smtp.ts";

const codeIn = (raw: string) => /code is (\d{6})/.exec(raw)?.[1];

Deno.test("POST /auth/register: the same email signs up as a customer of two organizations", async () => {
  const t = await testApp();
  try {
    const acme = await aTenant(t, "Acme");
    const globex = await aTenant(t, "Globex");
    const email = "pat@example.com";
    const register = (slug: string, pw: string) =>
      t.call("POST", "/api/v1/auth/register", {
        json: { name: "Pat", email, password: pw, organizationSlug: slug },
      });
    const here = await register(acme.org.slug, "acme pass phrase 1");
    assert.equal(here.status, 201);
    const there = await register(globex.org.slug, "globex pass phrase 2");
    assert.equal(there.status, 201, "an account elsewhere is no conflict here");
    const [a, g] = [(await here.json()).user, (await there.json()).user];
    assert.notEqual(a.id, g.id);
    assert.equal(a.organizationId, acme.org.id);
    assert.equal(g.organizationId, globex.org.id);
    assert.equal((await register(acme.org.slug, "acme pass phrase 3")).status, 409);

    // Each password opens its own organization's account, with or without naming it.
    const loginAs = (pw: string, extra: Record<string, string> = {}) =>
      t.call("POST", "/api/v1/auth/login", { json: { email, password: pw, ...extra } });
    const intoAcme = await loginAs("acme pass phrase 1");
    assert.equal(intoAcme.status, 200);
    assert.equal((await intoAcme.json()).user.id, a.id);
    const intoGlobex = await loginAs("globex pass phrase 2", { organizationSlug: globex.org.slug });
    assert.equal((await intoGlobex.json()).user.id, g.id);
    const crossed = await loginAs("acme pass phrase 1", { organizationSlug: globex.org.slug });
    assert.equal(crossed.status, 401, "a password opens only its own organization's account");

    // Each sees only its own organization's queries.
    const tokenA = (await loginAs("acme pass phrase 1").then((r) => r.json())).token;
    const tokenG = (await loginAs("globex pass phrase 2").then((r) => r.json())).token;
    const opened = await t.call("POST", "/api/v1/queries", {
      token: tokenA,
      json: { title: "Where is my parcel", description: "It was due on Monday" },
    });
    assert.equal(opened.status, 201);
    const theirs = await t.call("GET", "/api/v1/queries", { token: tokenG });
    assert.equal((await theirs.json()).meta.total, 0);
    const mine = await t.call("GET", "/api/v1/queries", { token: tokenA });
    assert.equal((await mine.json()).meta.total, 1);
  } finally {
    await t.close();
  }
});

Deno.test("no answer reveals an email of another organization or of the SuperAdmin", async () => {
  const t = await testApp();
  try {
    const acme = await aTenant(t, "Acme");
    const globex = await aTenant(t, "Globex");
    const root = await aSuperAdmin(t);
    const admin = await login(t, globex.users.Admin.email);
    const taken = [acme.users.Agent.email, acme.users.Customer.email, root.email];
    for (const email of taken) {
      const signUp = await t.call("POST", "/api/v1/auth/register", {
        json: {
          name: "Sam",
          email,
          password: "a fresh pass phrase",
          organizationId: globex.org.id,
        },
      });
      assert.equal(signUp.status, 201, `register ${email}`);
    }
    for (const [i, email] of taken.entries()) {
      const staff = await t.call("POST", "/api/v1/admin/agents", {
        token: admin,
        json: { name: "Sam", email, password: "a fresh pass phrase", role: i ? "QA" : "Agent" },
      });
      // The customer made above holds this email here: a conflict inside the caller's
      // organization, with the same answer for every one of the three.
      assert.equal(staff.status, 409, `staff ${email}`);
    }
    const fresh = [acme.users.TL.email, acme.users.QA.email];
    for (const email of fresh) {
      const staff = await t.call("POST", "/api/v1/admin/agents", {
        token: admin,
        json: { name: "Sam", email, password: "a fresh pass phrase", role: "Agent" },
      });
      assert.equal(staff.status, 201, `staff ${email}`);
    }
    const colleague = await t.call("GET", "/api/v1/admin/agents?q=sam", { token: admin });
    const id = (await colleague.json()).data[0].id;
    const renamed = await t.call("PUT", `/api/v1/admin/agents/${id}`, {
      token: admin,
      json: { email: acme.users.Admin.email },
    });
    assert.equal(renamed.status, 200, "an email used in another organization is free here");

    // The original accounts still sign in with their own passwords.
    await login(t, acme.users.Agent.email);
    await login(t, root.email);
  } finally {
    await t.close();
  }
});

Deno.test("POST /auth/login asks for the organization when one password opens two accounts", async () => {
  const t = await testApp();
  try {
    const acme = await aTenant(t, "Acme");
    const globex = await aTenant(t, "Globex");
    const email = acme.users.Customer.email;
    const same = await t.call("POST", "/api/v1/auth/register", {
      json: { name: "Twin", email, password, organizationSlug: globex.org.slug },
    });
    assert.equal(same.status, 201);
    const res = await t.call("POST", "/api/v1/auth/login", { json: { email, password } });
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.equal(body.error.message, "Name the organization to sign in to");
    const named = await login(t, email, { organizationSlug: acme.org.slug });
    assert.ok(named);
    const both = await t.call("POST", "/api/v1/auth/login", {
      json: { email, password, organizationSlug: acme.org.slug, organizationId: acme.org.id },
    });
    assert.equal(both.status, 400);
  } finally {
    await t.close();
  }
});

Deno.test({
  name: "POST /auth/forgot-password: a contact made by mail sets a first password by code",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const smtp = await startSmtp();
    const t = await testApp({ env: smtp.env });
    try {
      const acme = await aTenant(t, "Acme");
      const globex = await aTenant(t, "Globex");
      const email = "mailer@example.com";
      const now = t.deps.clock.now().toISOString();
      const contact = await t.deps.store.users.create({
        ...acme.users.Customer,
        id: t.deps.ids.next(),
        email,
        passwordHash: null,
        createdAt: now,
        updatedAt: now,
      });
      const noLogin = await t.call("POST", "/api/v1/auth/login", { json: { email, password } });
      assert.equal(noLogin.status, 401, "a contact without a password cannot sign in");
      await t.call("POST", "/api/v1/auth/register", {
        json: { name: "Other", email, password, organizationSlug: globex.org.slug },
      });

      const asked = await t.call("POST", "/api/v1/auth/forgot-password", {
        json: { email, organizationSlug: acme.org.slug },
      });
      assert.equal(asked.status, 200);
      const mail = await smtp.next();
      assert.match(mail.raw, /code is \d{6} for Acme/);
      const code = codeIn(mail.raw);
      assert.ok(code);
      const set = await t.call("POST", "/api/v1/auth/reset-password", {
        json: { email, code, newPassword: "my first pass phrase" },
      });
      assert.equal(set.status, 200, await set.clone().text());
      const signedIn = await t.call("POST", "/api/v1/auth/login", {
        json: { email, password: "my first pass phrase" },
      });
      assert.equal(signedIn.status, 200);
      assert.equal((await signedIn.json()).user.id, contact.id);
      await login(t, email, { organizationSlug: globex.org.slug });
    } finally {
      await t.close();
      await smtp.stop();
    }
  },
});
