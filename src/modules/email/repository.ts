import type { Store } from "@/store/store.ts";
import type { Documents } from "@/store/documents.ts";
import type { Mailbox, MailRecord, MailThread, OutgoingReply } from "./model.ts";

/** Storage of mailboxes, the Message-ID ledger, threads and the reply outbox. */
export interface EmailRepository {
  mailboxes: Documents<Mailbox>;
  records: Documents<MailRecord>;
  threads: Documents<MailThread>;
  outbox: Documents<OutgoingReply>;
  /** Takes the mailbox for `owner` until `until` unless another holder's lease still runs. */
  lease(orgId: string, id: string, owner: string, now: string, until: string): Promise<boolean>;
  /** Gives the lease up, if `owner` still holds it. */
  release(orgId: string, id: string, owner: string): Promise<void>;
  /**
   * Records a Message-ID for the organization once: the new record, or `existing` when the
   * organization already has it (a unique key on both stores decides between racers).
   */
  claim(record: MailRecord): Promise<{ record: MailRecord; existing: boolean }>;
}

/** The ledger key of a Message-ID: per organization, hashed to a fixed length. */
export async function recordId(orgId: string, messageId: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(normalizeMessageId(messageId)),
  );
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${orgId}:${hex}`;
}

/** `<id@host>` as written, without brackets and surrounding space. */
export function normalizeMessageId(messageId: string): string {
  return messageId.trim().replace(/^<+|>+$/g, "").trim();
}

/** The email repository over the store's document collections (both adapters). */
export function emailRepository(store: Store): EmailRepository {
  const mailboxes = store.documents("mailboxes");
  const records = store.documents("mail_records");
  return {
    mailboxes,
    records,
    threads: store.documents("mail_threads"),
    outbox: store.documents("mail_outbox"),
    async lease(orgId, id, owner, now, until) {
      const current = await mailboxes.get(orgId, id);
      if (!current) return false;
      if (current.leaseUntil && current.leaseUntil > now && current.leaseOwner !== owner) {
        return false;
      }
      const taken = await mailboxes.update(orgId, id, { leaseOwner: owner, leaseUntil: until }, {
        leaseOwner: current.leaseOwner,
        leaseUntil: current.leaseUntil,
      });
      return taken !== null;
    },
    async release(orgId, id, owner) {
      await mailboxes.update(orgId, id, { leaseOwner: null, leaseUntil: null }, {
        leaseOwner: owner,
      });
    },
    async claim(record) {
      try {
        return { record: await records.insert(record), existing: false };
      } catch (err) {
        // A duplicate key on either store: whoever inserted first holds the Message-ID.
        const found = await records.get(record.organizationId, record.id);
        if (found) return { record: found, existing: true };
        throw err;
      }
    },
  };
}
