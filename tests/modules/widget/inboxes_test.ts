import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, expectStatus } from "@tests/helpers/support.ts";
import { hmacHex } from "@/modules/widget/inboxes.ts";

const body = {
  name: "Shop chat",
  allowedOrigins: ["https://shop.example", "http://127.0.0.1:8080"],
  greeting: "Hi! How can we help?",
  preChat: { name: "required", email: "optional" },
  routeTo: { teamId: null, skill: "billing" },
};

Deno.test("POST /inboxes/web: an Admin makes a web inbox; the secret is shown once and stored sealed", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const made = await expectStatus(
      t.call("POST", "/api/v1/inboxes/web", { token: desk.token.Admin, json: body }),
      201,
    );
    assert.match(made.websiteToken, /^ccw_/);
    assert.match(made.hmacSecret, /^[0-9a-f]{64}$/);
    assert.deepEqual(made.preChat, { name: "required", email: "optional" });
    assert.equal(made.outOfHoursMessage, null);
    assert.deepEqual(made.routeTo, { teamId: null, skill: "billing" });

    const stored = await t.deps.store.documents("web_inboxes").get(desk.org.id, made.id);
    assert.ok(stored);
    assert.ok(!JSON.stringify(stored).includes(made.hmacSecret), "the secret is not stored plain");
    assert.match(stored.hmacSecretSealed, /^v1\./);

    const one = await expectStatus(
      t.call("GET", `/api/v1/inboxes/web/${made.id}`, { token: desk.token.Admin }),
      200,
    );
    assert.equal(one.hmacSecret, undefined);
    assert.equal(one.websiteToken, made.websiteToken);
    const list = await expectStatus(
      t.call("GET", "/api/v1/inboxes/web", { token: desk.token.Admin }),
      200,
    );
    assert.deepEqual(list.meta, { total: 1, page: 1, limit: 20 });
    assert.ok(!JSON.stringify(list).includes(made.hmacSecret));

    // The service finds the inbox by its public token and checks identifier hashes with the secret.
    const inbox = await t.services.webInboxes.byWebsiteToken(made.websiteToken);
    assert.equal(inbox?.id, made.id);
    assert.equal(
      await t.services.webInboxes.byWebsiteToken(
        `${made.websiteToken.slice(0, -1)}${made.websiteToken.endsWith("0") ? "1" : "0"}`,
      ),
      null,
    );
    const hash = await hmacHex(made.hmacSecret, "user-42");
    assert.equal(await t.services.webInboxes.verifyIdentifier(inbox!, "user-42", hash), true);
    assert.equal(await t.services.webInboxes.verifyIdentifier(inbox!, "user-43", hash), false);
  } finally {
    await t.close();
  }
});

Deno.test("PUT and DELETE /inboxes/web/{id}: changed, then removed and its token unknown", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const made = await expectStatus(
      t.call("POST", "/api/v1/inboxes/web", { token: desk.token.Admin, json: body }),
      201,
    );
    const changed = await expectStatus(
      t.call("PUT", `/api/v1/inboxes/web/${made.id}`, {
        token: desk.token.Admin,
        json: { outOfHoursMessage: "We answer from 9 to 5", preChat: { email: "required" } },
      }),
      200,
    );
    assert.equal(changed.outOfHoursMessage, "We answer from 9 to 5");
    assert.deepEqual(changed.preChat, { name: "required", email: "required" });
    assert.equal(changed.name, "Shop chat");
    await expectStatus(
      t.call("DELETE", `/api/v1/inboxes/web/${made.id}`, { token: desk.token.Admin }),
      204,
    );
    await expectStatus(
      t.call("GET", `/api/v1/inboxes/web/${made.id}`, { token: desk.token.Admin }),
      404,
    );
    assert.equal(await t.services.webInboxes.byWebsiteToken(made.websiteToken), null);
    const audit = await t.deps.store.audit.list(desk.org.id, {}, { page: 1, limit: 50 });
    const actions = audit.data.map((e) => e.action).filter((a) => a.startsWith("web_inbox."));
    assert.deepEqual(actions.sort(), [
      "web_inbox.created",
      "web_inbox.removed",
      "web_inbox.updated",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("/inboxes/web: origins must be bare origins, other roles get 403", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    for (
      const origin of ["https://shop.example/", "https://shop.example/path", "ftp://x.test", "shop"]
    ) {
      const res = await t.call("POST", "/api/v1/inboxes/web", {
        token: desk.token.Admin,
        json: { ...body, allowedOrigins: [origin] },
      });
      assert.equal(res.status, 400, origin);
      await res.body?.cancel();
    }
    for (const role of ["TL", "QA", "Agent", "Customer"] as const) {
      for (const [method, json] of [["GET", undefined], ["POST", body]] as const) {
        const res = await t.call(method, "/api/v1/inboxes/web", {
          token: desk.token[role],
          ...(json ? { json } : {}),
        });
        assert.equal(res.status, 403, `${role} ${method}`);
        await res.body?.cancel();
      }
    }
  } finally {
    await t.close();
  }
});

Deno.test("/inboxes/web: routeTo.teamId must name a team of the organization (422 with the field, nothing saved); a name is kept as the team's id; the team cannot go while routed to", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const other = await aDesk(t);
    const call = (method: string, path: string, json: unknown, token = desk.token.Admin) =>
      t.call(method, `/api/v1${path}`, { token, json });
    const theirs = await expectStatus(
      call("POST", "/teams", { name: "Theirs" }, other.token.Admin),
      201,
    );
    const night = await expectStatus(call("POST", "/teams", { name: "Night" }), 201);
    for (const teamId of ["no-such-team", theirs.id]) {
      const res = await call("POST", "/inboxes/web", { ...body, routeTo: { teamId, skill: null } });
      const refused = await expectStatus(Promise.resolve(res), 422);
      assert.equal(refused.error.details[0].path, "routeTo.teamId");
    }
    const list = async () =>
      (await expectStatus(t.call("GET", "/api/v1/inboxes/web", { token: desk.token.Admin }), 200))
        .meta.total;
    assert.equal(await list(), 0, "nothing saved");
    const made = await expectStatus(
      call("POST", "/inboxes/web", { ...body, routeTo: { teamId: "night", skill: null } }),
      201,
    );
    assert.equal(made.routeTo.teamId, night.id, "older clients name the team");
    const refused = await expectStatus(
      call("PUT", `/inboxes/web/${made.id}`, { routeTo: { teamId: theirs.id }, name: "Changed" }),
      422,
    );
    assert.equal(refused.error.details[0].path, "routeTo.teamId");
    const kept = await expectStatus(
      t.call("GET", `/api/v1/inboxes/web/${made.id}`, { token: desk.token.Admin }),
      200,
    );
    assert.deepEqual([kept.name, kept.routeTo.teamId], [body.name, night.id], "nothing changed");
    const inUse = await expectStatus(
      t.call("DELETE", `/api/v1/teams/${night.id}`, { token: desk.token.Admin }),
      409,
    );
    assert.match(inUse.error.message, /Web inboxes route to this team \("Shop chat"\)/);
    const cleared = await expectStatus(
      call("PUT", `/inboxes/web/${made.id}`, { routeTo: { teamId: null } }),
      200,
    );
    assert.deepEqual(cleared.routeTo, { teamId: null, skill: null });
    await expectStatus(
      t.call("DELETE", `/api/v1/teams/${night.id}`, { token: desk.token.Admin }),
      204,
    );
  } finally {
    await t.close();
  }
});
