import assert from "node:assert/strict";
import { skipDovecot } from "@tests/helpers/dovecot.ts";
import { aMailDesk, rawMail } from "@tests/helpers/mail.ts";
import { onePixelPng } from "@tests/helpers/files.ts";
import { emailRepository, recordId } from "@/modules/email/repository.ts";
import { importMail, MailSourceError, sourceStream } from "@/modules/email/importer.ts";

/** The bytes, then (when `failAt` is given) a connection failure after that many of them. */
function served(bytes: Uint8Array, failAt?: number): ReadableStream<Uint8Array> {
  let sent = false;
  return sourceStream(
    new ReadableStream({
      pull(controller) {
        if (!sent) {
          sent = true;
          return controller.enqueue(bytes.subarray(0, failAt ?? bytes.length));
        }
        if (failAt === undefined) controller.close();
        else controller.error(new Error("Socket closed unexpectedly"));
      },
    }),
  );
}

Deno.test({
  name:
    "importMail(): a server failing mid-mail is a source failure, never counted against the mail",
  ignore: skipDovecot,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const m = await aMailDesk();
    try {
      const orgId = m.desk.org.id;
      const repo = emailRepository(m.t.deps.store);
      const mailbox = (await repo.mailboxes.get(orgId, m.mailbox.id))!;
      const ctx = { deps: m.t.deps, repo, ...m.t.services };
      const messageId = "<cut@customer.test>";
      const raw = new TextEncoder().encode(rawMail({
        from: "cut@customer.test",
        messageId,
        attachments: [{ filename: "shot.png", contentType: "image/png", content: onePixelPng }],
      }));
      const source = (
        first: ReadableStream<Uint8Array>,
        again: () => ReadableStream<Uint8Array>,
      ) => ({
        size: raw.length,
        readLimit: raw.length,
        stream: first,
        reopen: () => Promise.resolve(again()),
      });
      const id = await recordId(orgId, messageId);
      // The first reading breaks off: nothing is claimed.
      await assert.rejects(
        importMail(ctx, mailbox, source(served(raw, 200), () => served(raw)), "poller-1"),
        (err) => err instanceof MailSourceError && /Socket closed/.test(err.message),
      );
      assert.equal(await m.t.deps.store.documents("mail_records").get(orgId, id), null);
      // The second reading (the attachments) breaks off: the claim stays, with no failure counted.
      await assert.rejects(
        importMail(
          ctx,
          mailbox,
          source(served(raw), () => served(raw, raw.length - 100)),
          "poller-1",
        ),
        MailSourceError,
      );
      const claimed = await m.t.deps.store.documents("mail_records").get(orgId, id);
      assert.equal(claimed?.state, "importing");
      assert.equal(claimed?.failures, 0);
      // The next poll completes it.
      const done = await importMail(
        ctx,
        mailbox,
        source(served(raw), () => served(raw)),
        "poller-1",
      );
      assert.equal(done.status, "created");
    } finally {
      await m.close();
    }
  },
});
