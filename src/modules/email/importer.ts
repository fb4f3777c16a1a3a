import type { ContactService } from "@/modules/contacts/service.ts";
import type { Deps } from "@/deps.ts";
import { type InboundMail, parseMail } from "@/mail/parse.ts";
import { errorMessage } from "@/log.ts";
import type { ChatService } from "@/modules/chat/service.ts";
import type { AttachmentService } from "@/modules/chat/attachments.ts";
import type { QueryService } from "@/modules/queries/service.ts";
import type { Mailbox, MailRecord } from "./model.ts";
import { type EmailRepository, recordId } from "./repository.ts";
import { customerFor } from "./customers.ts";
import { readableSize, storeAttachments } from "./attachments.ts";
import { madeBeforeCrash, rememberThread, staleClaimMs, threadedQuery } from "./threads.ts";
import { cleanLine } from "@/modules/text.ts";

/** What the importer uses; built once per email service. */
export interface ImportContext {
  deps: Pick<Deps, "store" | "files" | "clock" | "ids" | "log" | "config">;
  repo: EmailRepository;
  chat: ChatService;
  queries: QueryService;
  attachments: Pick<AttachmentService, "keep" | "find">;
  contacts: Pick<ContactService, "settleMerge">;
}

/** What became of one fetched mail. */
export type ImportOutcome =
  | { status: "created" | "appended"; messageId: string; queryId: string; reference: string }
  | { status: "duplicate"; messageId: string }
  | { status: "skipped"; messageId: string; reason: string }
  /** Another poller is importing it right now: try again on the next poll. */
  | { status: "busy"; messageId: string };

/** Our own Message-IDs (`<chatcrm.…@domain>`): a mail carrying one is never imported. */
export const ownMessageIdPrefix = "chatcrm.";

/** A mail whose import failed this often is skipped, so one bad mail never blocks a mailbox. */
export const maxImportFailures = 5;

/**
 * The mail's server failed while it was read (the connection, not the mail): the poll fails
 * with what `cause` says of the server, and the mail is not counted as failing to import.
 */
export class MailSourceError extends Error {
  constructor(override readonly cause: unknown) {
    super(errorMessage(cause));
  }
}

/** The stream, its read failures turned into MailSourceError (parse failures stay as they are). */
export function sourceStream(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(new MailSourceError(err));
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** A fetched mail, read as it streams: once to decide on it, again to store its attachments. */
export interface MailSource {
  /** Its size on the server. */
  size: number;
  /** The most that is read of it: a larger mail is read only this far. */
  readLimit: number;
  /** Its bytes (up to `readLimit`), read by the first pass. */
  stream: ReadableStream<Uint8Array>;
  /** Its bytes again, for the pass that stores attachments; null when it is gone meanwhile. */
  reopen(): Promise<ReadableStream<Uint8Array> | null>;
}

/**
 * The first pass: the mail's headers, text and list of attachments (their bytes skipped), and
 * the SHA-256 of the bytes read, which names a mail without a Message-ID. Unreadable MIME is
 * said in `unreadable`; a failing source (the connection) throws.
 */
async function firstPass(
  stream: ReadableStream<Uint8Array>,
): Promise<{ mail: InboundMail | null; unreadable: string | null; sha256: string }> {
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  let complete = false;
  const hashed = stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        controller.enqueue(chunk);
      },
      flush() {
        complete = true;
      },
    }),
  );
  try {
    return { mail: await parseMail(hashed), unreadable: null, sha256: hash.digest("hex") };
  } catch (err) {
    if (!complete) throw err;
    return {
      mail: null,
      unreadable: `unreadable MIME: ${errorMessage(err)}`,
      sha256: hash.digest("hex"),
    };
  }
}

/** Why a mail opens nothing (loops and mail we cannot answer), or null to import it. */
export function skipReason(mail: InboundMail, messageId: string, mailbox: Mailbox): string | null {
  if (mail.autoSubmitted && mail.autoSubmitted !== "no") {
    return `Auto-Submitted: ${mail.autoSubmitted}`;
  }
  if (mail.precedence && ["bulk", "junk", "list"].includes(mail.precedence)) {
    return `Precedence: ${mail.precedence}`;
  }
  if (messageId.replace(/^</, "").startsWith(ownMessageIdPrefix)) return "our own Message-ID";
  if (!mail.from) return "no sender address";
  if (/^(mailer-daemon|postmaster)@/.test(mail.from.address)) return "a delivery report";
  if (mail.from.address === mailbox.email.toLowerCase()) return "sent by this mailbox";
  return null;
}

/**
 * Imports one raw mail into the mailbox's organization, exactly once per Message-ID: the ledger
 * record is claimed by a unique key before anything is written, every write after it is
 * idempotent (messages keyed by the record), and the record is marked done last. A poller that
 * died in between leaves an `importing` claim, which the next holder of the mailbox completes.
 */
export async function importMail(
  ctx: ImportContext,
  mailbox: Mailbox,
  source: MailSource,
  owner: string,
): Promise<ImportOutcome> {
  const { deps, repo } = ctx;
  const orgId = mailbox.organizationId;
  const { mail, unreadable, sha256 } = await firstPass(source.stream);
  const messageId = mail?.messageId ?? `<${sha256}@no-message-id.invalid>`;
  const reason = unreadable ?? skipReason(mail!, messageId, mailbox);
  const now = deps.clock.now().toISOString();
  const { record, existing } = await repo.claim({
    id: await recordId(orgId, messageId),
    organizationId: orgId,
    messageId,
    direction: "in",
    state: reason ? "skipped" : "importing",
    owner: reason ? null : owner,
    mailboxId: mailbox.id,
    queryId: null,
    roomId: null,
    chatMessageId: null,
    reason,
    failures: 0,
    createdAt: now,
    updatedAt: now,
  });
  if (existing) {
    if (record.direction === "out") {
      return { status: "skipped", messageId, reason: "our own Message-ID" };
    }
    if (record.state !== "importing") return { status: "duplicate", messageId };
    const orphaned = record.owner === owner || record.mailboxId === mailbox.id ||
      Date.parse(record.updatedAt) < Date.parse(now) - staleClaimMs;
    if (!orphaned) return { status: "busy", messageId };
    const taken = await repo.records.update(orgId, record.id, { owner, updatedAt: now }, {
      owner: record.owner,
      state: "importing",
    });
    if (!taken) return { status: "busy", messageId };
    if (record.failures >= maxImportFailures) {
      const why = `gave up after ${record.failures} failed imports: ${record.reason}`;
      await repo.records.update(orgId, record.id, {
        state: "skipped",
        owner: null,
        reason: why,
        updatedAt: now,
      });
      deps.log.error("mail import abandoned", { mailboxId: mailbox.id, messageId, reason: why });
      return { status: "skipped", messageId, reason: why };
    }
  }
  if (reason) {
    deps.log.info("mail skipped", { mailboxId: mailbox.id, messageId, reason });
    return { status: "skipped", messageId, reason };
  }
  if (source.size > source.readLimit) {
    // Only the beginning was read: its attachments are cut off, so none is kept.
    mail!.attachments = [];
    mail!.text = `${mail!.text}\n\n[This mail was ${readableSize(source.size)}, over the ${
      readableSize(source.readLimit)
    } read limit: only its text was imported, no attachments]`;
  }
  try {
    return await deliver(ctx, mailbox, { mail: mail!, reopen: source.reopen }, record, existing);
  } catch (err) {
    if (err instanceof MailSourceError) throw err;
    await repo.records.update(orgId, record.id, {
      failures: record.failures + 1,
      reason: errorMessage(err),
      updatedAt: deps.clock.now().toISOString(),
    }).catch(() => {});
    throw err;
  }
}

async function deliver(
  ctx: ImportContext,
  mailbox: Mailbox,
  { mail, reopen }: { mail: InboundMail; reopen: MailSource["reopen"] },
  record: MailRecord,
  tookOver: boolean,
): Promise<ImportOutcome> {
  const { deps, repo } = ctx;
  const orgId = mailbox.organizationId;
  const messageId = record.messageId;
  const customer = await customerFor(deps, orgId, mail.from!);
  if (!customer) {
    const reason = "the sender is staff of this organization";
    await repo.records.update(orgId, record.id, { state: "skipped", owner: null, reason });
    return { status: "skipped", messageId, reason };
  }
  let query = record.queryId
    ? await deps.store.queries.findById(orgId, record.queryId)
    : tookOver
    ? await madeBeforeCrash(ctx, record, customer.id, mail)
    : null;
  let created = query !== null && record.chatMessageId === null;
  if (!query) query = await threadedQuery(ctx, orgId, mail, customer.id);
  if (!query) {
    query = await ctx.queries.create(
      { userId: customer.id, orgId, role: "Customer" },
      {
        title: (cleanLine(mail.subject) || "(no subject)").slice(0, 200),
        description: (mail.text || "(empty message)").slice(0, 10_000),
        source: "Email",
      },
    );
    created = true;
    await repo.records.update(orgId, record.id, { queryId: query.id, roomId: query.roomId });
  }
  const key = record.id.slice(record.id.indexOf(":") + 1, record.id.indexOf(":") + 33);
  const files = await storeAttachments({ deps, files: ctx.attachments }, mail.attachments, reopen, {
    prefix: `mail-${key}`,
    orgId,
    roomId: query.roomId!,
    senderId: customer.id,
  });
  for (const r of files.refused) {
    deps.log.info("mail attachment refused", { messageId, filename: r.filename, reason: r.reason });
  }
  const notes = files.refused.map((r) => `[Attachment "${r.filename}" not imported: ${r.reason}]`);
  const text = [truncate(mail.text || "(empty message)", 10_000), ...notes].join("\n\n");
  const from = { id: customer.id, role: "Customer" as const };
  const first = await ctx.chat.system(orgId, query.roomId!, text, from, {
    clientMessageId: `mail:${key}:0`,
  });
  for (const [i, file] of files.stored.entries()) {
    await ctx.chat.system(orgId, query.roomId!, file.label, from, {
      clientMessageId: `mail:${key}:${i + 1}`,
      fileId: file.id,
      type: "file",
    });
  }
  const at = deps.clock.now().toISOString();
  await deps.store.messages.setEmail(orgId, first.id, {
    status: "received",
    messageId,
    attempts: 0,
    lastError: null,
    updatedAt: at,
  });
  await rememberThread(ctx, mailbox, mail, query, messageId);
  // The sender's contact may have been merged while this mail was written: what it wrote
  // moves to the contact it became (the merge itself moved everything written before).
  await ctx.contacts.settleMerge(orgId, customer.id);
  await repo.records.update(orgId, record.id, {
    state: "done",
    owner: null,
    queryId: query.id,
    roomId: query.roomId,
    chatMessageId: first.id,
    updatedAt: at,
  });
  return {
    status: created ? "created" : "appended",
    messageId,
    queryId: query.id,
    reference: query.reference,
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[…truncated]`;
}
