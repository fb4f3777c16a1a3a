import assert from "node:assert/strict";
import { testStore } from "@tests/helpers/app.ts";
import { skipMongo } from "@tests/helpers/mongo.ts";
import { skipDovecot } from "@tests/helpers/dovecot.ts";
import { aMailDesk } from "@tests/helpers/mail.ts";
import { expectStatus } from "@tests/helpers/support.ts";

/** The email channel end to end on each store: same answers on SQLite and MongoDB. */
for (const kind of ["sqlite", "mongo"] as const) {
  Deno.test({
    name:
      `[${kind}] mail opens a query, a reply leaves threaded, the answer and a repeat thread once`,
    ignore: skipDovecot || (kind === "mongo" && skipMongo),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const m = await aMailDesk({ store: await testStore(kind) });
      try {
        await m.deliver({ from: "ann@customer.test", subject: "Refund", messageId: "<r1@c.test>" });
        const first = await m.poll();
        assert.deepEqual(first.imported.map((i) => i.status), ["created"]);
        const query = (await m.t.deps.store.queries.findById(
          m.desk.org.id,
          first.imported[0]!.queryId!,
        ))!;
        assert.equal(query.source, "Email");
        await expectStatus(
          m.t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
            token: m.desk.token.Admin,
            json: { message: "Refund on its way" },
          }),
          201,
        );
        const sent = await m.smtp.next();
        assert.match(sent.raw, /In-Reply-To: <r1@c\.test>/);
        assert.match(sent.raw, new RegExp(`Subject: Re: Refund \\[${query.reference}\\]`));
        const ours = /Message-ID: (<[^>]+>)/i.exec(sent.raw)![1]!;
        const answer = {
          from: "ann@customer.test",
          subject: `Re: Refund [${query.reference}]`,
          inReplyTo: ours,
          messageId: "<r2@c.test>",
          text: "Got it",
        };
        await m.deliver(answer);
        await m.deliver(answer);
        await m.deliver(sent.raw);
        const second = await m.poll();
        assert.deepEqual(second.imported.map((i) => [i.status, i.queryId ?? null]), [
          ["appended", query.id],
          ["duplicate", null],
          ["skipped", null],
        ]);
        const texts = (await m.t.deps.store.messages.list(m.desk.org.id, query.roomId!, {
          afterSeq: 0,
          limit: 50,
        })).filter((x) => x.senderRole !== "system").map((x) => x.text);
        assert.deepEqual(texts, ["Hello, I need help.", "Refund on its way", "Got it"]);
      } finally {
        await m.close();
      }
    },
  });
}
