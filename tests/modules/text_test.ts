import assert from "node:assert/strict";
import { type TestApp, testApp } from "@tests/helpers/app.ts";
import { aSuperAdmin, login } from "@tests/helpers/identity.ts";
import { aDesk, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { cleanLine, textLine } from "@/modules/text.ts";

/** Every character the issue names: NUL, the bidi embeddings/overrides/isolates, the BOM. */
const unsafe = [
  "\u0000",
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
  "\ufeff",
];
const hex = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

Deno.test("textLine() refuses NUL, bidi controls and the BOM, and keeps ordinary text", () => {
  const line = textLine(100);
  for (const ch of unsafe) {
    const result = line.safeParse(`Invoice${ch}fdp.exe`);
    assert.equal(result.success, false, hex(ch));
  }
  for (
    const ok of ["Zoë Ångström", "مرحبا بالعالم", "שלום", "日本語のタイトル", "Ticket #12 (urgent)"]
  ) {
    assert.equal(line.parse(ok), ok);
  }
  assert.equal(cleanLine("Re:\u202e gnp.exe\u0000 \ufeffhello"), "Re: gnp.exe hello");
});

async function aRequestDesk(): Promise<{ t: TestApp; desk: Desk; superToken: string }> {
  const t = await testApp();
  const desk = await aDesk(t);
  const root = await aSuperAdmin(t);
  return { t, desk, superToken: await login(t, root.email) };
}

Deno.test({
  name: "every stored name and title refuses NUL, bidi controls and the BOM with 400 naming it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { t, desk, superToken } = await aRequestDesk();
    try {
      const admin = desk.token.Admin;
      const query = await openQuery(desk);
      const bad = "Refund \u202egnp.exe";
      const cases: [string, string, string | undefined, unknown, string][] = [
        ["POST", "/api/v1/queries", desk.token.Customer, {
          title: bad,
          description: "d",
        }, "title"],
        ["POST", "/api/v1/queries", desk.token.Customer, {
          title: "t",
          description: "zero\u0000byte",
        }, "description"],
        ["PUT", `/api/v1/queries/${query.id}`, admin, { title: "\ufeffHidden" }, "title"],
        ["PUT", `/api/v1/queries/${query.id}`, admin, { tags: ["a\u2066b"] }, "tags.0"],
        ["POST", "/api/v1/auth/register", undefined, {
          name: `Eve\u202e`,
          email: "eve@example.com",
          password: "a long enough passphrase 42",
          organizationId: desk.org.id,
        }, "name"],
        ["PUT", "/api/v1/auth/update-profile", desk.token.Agent, { name: "A\u2067B" }, "name"],
        ["POST", "/api/v1/admin/agents", admin, {
          name: "New\u0000Agent",
          email: "new.agent@example.com",
          password: "a long enough passphrase 42",
          role: "Agent",
        }, "name"],
        ["POST", "/api/v1/admin/agents", admin, {
          name: "New Agent",
          email: "new.agent@example.com",
          password: "a long enough passphrase 42",
          role: "Agent",
          team: "Billing\u202b",
        }, "team"],
        ["POST", "/api/v1/admin/agents", admin, {
          name: "New Agent",
          email: "new.agent@example.com",
          password: "a long enough passphrase 42",
          role: "Agent",
          skills: [{ name: "billing\u2069", level: 3 }],
        }, "skills.0.name"],
        ["PUT", "/api/v1/admin/organization", admin, { name: "Acme\ufeff" }, "name"],
        ["POST", "/api/v1/superadmin/organizations", superToken, {
          name: "Evil\u202dCorp",
          slug: "evil-corp",
          admin: { name: "Boss", email: "boss@evil.test", password: "a long enough passphrase 42" },
        }, "name"],
        ["POST", "/api/v1/chat/rooms", admin, {
          members: [desk.users.TL.id],
          title: "Team \u202acat",
        }, "title"],
        ["POST", "/api/v1/email-config", admin, {
          name: "Support\u0000",
          email: "support@desk.test",
          imap: { host: "imap.desk.test", port: 993, secure: true, user: "u", password: "p" },
          smtp: { host: "smtp.desk.test", port: 465, secure: true },
        }, "name"],
        ["POST", "/api/v1/faq", admin, { question: "How\u202e?", answer: "Like this" }, "question"],
        [
          "POST",
          "/api/v1/ip-whitelist",
          admin,
          { value: "10.0.0.1", note: "office\u2068" },
          "note",
        ],
      ];
      for (const [method, path, token, json, field] of cases) {
        const res = await t.call(method, path, { ...(token ? { token } : {}), json });
        const body = await res.json();
        const label = `${method} ${path} ${field}: ${JSON.stringify(body)}`;
        assert.equal(res.status, 400, label);
        assert.equal(body.error.code, "VALIDATION_FAILED", label);
        assert.ok(
          body.error.details.some((d: { path: string }) => d.path === field),
          label,
        );
      }
      // Nothing was stored.
      const queries = await expectStatus(t.call("GET", "/api/v1/queries", { token: admin }), 200);
      assert.equal(queries.meta.total, 1);
      const shown = await expectStatus(
        t.call("GET", `/api/v1/queries/${query.id}`, { token: admin }),
        200,
      );
      assert.equal(shown.title, query.title);
      const staff = await expectStatus(
        t.call("GET", "/api/v1/admin/agents", { token: admin }),
        200,
      );
      assert.ok(!JSON.stringify(staff).includes("new.agent@example.com"));
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "POST /queries refuses each of NUL, U+202A–U+202E, U+2066–U+2069 and U+FEFF in a title",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { t, desk } = await aRequestDesk();
    try {
      for (const ch of unsafe) {
        const res = await t.call("POST", "/api/v1/queries", {
          token: desk.token.Customer,
          json: { title: `Help ${ch}me`, description: "please" },
        });
        const body = await res.json();
        assert.equal(res.status, 400, `${hex(ch)} ${JSON.stringify(body)}`);
        assert.equal(body.error.details[0].path, "title");
      }
      await expectStatus(
        t.call("POST", "/api/v1/queries", {
          token: desk.token.Customer,
          json: { title: "Aide: connexion impossible — مرحبا", description: "line one\nline two" },
        }),
        201,
      );
    } finally {
      await t.close();
    }
  },
});
