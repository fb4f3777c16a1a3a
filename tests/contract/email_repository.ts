import assert from "node:assert/strict";
import { uuidv7 } from "@/ids.ts";
import type { Mailbox, MailRecord } from "@/modules/email/model.ts";
import { emailRepository, recordId } from "@/modules/email/repository.ts";
import { nextTime } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

function aMailbox(orgId: string): Mailbox {
  const at = nextTime();
  return {
    id: uuidv7(),
    organizationId: orgId,
    name: "Support",
    email: "support@desk.test",
    imap: {
      host: "imap.test",
      port: 143,
      secure: false,
      user: "u",
      password: "v1.x.y",
      folder: "INBOX",
    },
    smtp: { host: "smtp.test", port: 25, secure: false, user: null, password: null },
    pollingEnabled: true,
    uidValidity: null,
    lastUid: 0,
    lastPolledAt: null,
    lastSuccessAt: null,
    lastError: null,
    lastErrorAt: null,
    failures: 0,
    nextPollAt: null,
    leaseOwner: null,
    leaseUntil: null,
    createdAt: at,
    updatedAt: at,
  };
}

async function aRecord(orgId: string, messageId: string, owner: string): Promise<MailRecord> {
  const at = nextTime();
  return {
    id: await recordId(orgId, messageId),
    organizationId: orgId,
    messageId,
    direction: "in",
    state: "importing",
    owner,
    mailboxId: "m1",
    queryId: null,
    roomId: null,
    chatMessageId: null,
    reason: null,
    failures: 0,
    createdAt: at,
    updatedAt: at,
  };
}

/** EmailRepository: the Message-ID ledger and mailbox leases hold on every store. */
export function emailRepositoryContract(kind: StoreKind): void {
  storeTest(
    kind,
    "email ledger: a Message-ID is claimed once per organization, racers too",
    async (s) => {
      const repo = emailRepository(s);
      const claims = await Promise.all(
        Array.from(
          { length: 8 },
          async (_, i) => repo.claim(await aRecord("o1", "<a@x>", `p${i}`)),
        ),
      );
      assert.equal(claims.filter((c) => !c.existing).length, 1);
      const winner = claims.find((c) => !c.existing)!.record.owner;
      for (const c of claims) assert.equal(c.record.owner, winner);
      // Brackets and surrounding space do not make another Message-ID; another tenant's is its own.
      assert.equal((await repo.claim(await aRecord("o1", " a@x ", "late"))).existing, true);
      assert.equal((await repo.claim(await aRecord("o2", "<a@x>", "other"))).existing, false);
      assert.equal(await repo.records.get("o2", await recordId("o1", "<a@x>")), null);
    },
  );

  storeTest(
    kind,
    "email leases: one holder at a time until it releases or its lease runs out",
    async (s) => {
      const repo = emailRepository(s);
      const m = await repo.mailboxes.insert(aMailbox("o1"));
      const t0 = "2026-11-25T10:00:00.000Z";
      const t1 = "2026-11-25T10:10:00.000Z";
      const results = await Promise.all(
        ["a", "b", "c", "d"].map((owner) => repo.lease("o1", m.id, owner, t0, t1)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const holder = (await repo.mailboxes.get("o1", m.id))!.leaseOwner!;
      assert.equal(await repo.lease("o1", m.id, "e", "2026-11-25T10:05:00.000Z", t1), false);
      assert.equal(await repo.lease("o2", m.id, "e", t0, t1), false, "not across tenants");
      await repo.release("o1", m.id, "not-the-holder");
      assert.equal((await repo.mailboxes.get("o1", m.id))!.leaseOwner, holder);
      await repo.release("o1", m.id, holder);
      assert.equal(await repo.lease("o1", m.id, "e", t0, t1), true);
      // A holder that died: its lease runs out and the next poller takes the mailbox.
      assert.equal(
        await repo.lease("o1", m.id, "f", "2026-11-25T10:10:00.001Z", "2026-11-25T10:20:00.000Z"),
        true,
      );
      assert.equal((await repo.mailboxes.get("o1", m.id))!.leaseOwner, "f");
      // The checkpoint is written only by the holder.
      assert.equal(
        await repo.mailboxes.update("o1", m.id, { lastUid: 7 }, { leaseOwner: "e" }),
        null,
      );
      assert.equal(
        (await repo.mailboxes.update("o1", m.id, { lastUid: 7 }, { leaseOwner: "f" }))?.lastUid,
        7,
      );
    },
  );
}
