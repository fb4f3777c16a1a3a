import type { Query } from "@/modules/queries/model.ts";
import { ConflictError } from "@/errors.ts";
import { activeOrganizations } from "@/modules/organizations/repository.ts";
import type { Deps } from "@/deps.ts";
import type { AttachmentService } from "@/modules/chat/attachments.ts";
import type { Outbound } from "@/net/egress.ts";
import { sendSmtp } from "@/mail/smtp.ts";
import { errorMessage } from "@/log.ts";
import { isNote, type Message, type Room } from "@/modules/chat/repository.ts";
import type { OutgoingReply } from "./model.ts";
import { type EmailRepository, recordId } from "./repository.ts";
import { ownMessageIdPrefix } from "./importer.ts";
import type { SecretBox } from "./secrets.ts";
import { describeMailError } from "./errors.ts";

export interface ReplyContext {
  deps: Pick<Deps, "store" | "files" | "clock" | "ids" | "log" | "config">;
  repo: EmailRepository;
  box(): Promise<SecretBox>;
  attachments: Pick<AttachmentService, "find">;
  /** The egress policy and timeout of every connection to a mailbox's servers. */
  outbound: Outbound;
}

/** Sends before a reply is marked failed; the waits between them double from a minute. */
export const maxReplyAttempts = 6;
const firstRetryMs = 60_000;
const maxRetryMs = 30 * 60_000;

function retryDelayMs(attempts: number): number {
  return Math.min(firstRetryMs * 2 ** Math.max(0, attempts - 1), maxRetryMs);
}

/**
 * Queues an agent's message on an email query for SMTP: an outbox entry, the message's delivery
 * status (queued), and our Message-ID in the ledger (so the customer's answer threads, and a
 * bounce of it never opens a query). Null when the message does not leave by mail.
 */
export async function queueReply(
  ctx: ReplyContext,
  message: Message,
  room: Room,
  /** The room's query as read just before the message was stored, when the caller has it. */
  known?: Query | null,
): Promise<OutgoingReply | null> {
  const { deps, repo } = ctx;
  // A note is for staff only: it never leaves by mail.
  if (!room.queryId || message.email || message.type === "system" || isNote(message)) return null;
  if (message.senderRole === "Customer" || message.senderRole === "system") return null;
  const orgId = room.organizationId;
  // Where a query came from never changes: the one read before the write tells.
  const query = known?.id === room.queryId
    ? known
    : await deps.store.queries.findById(orgId, room.queryId);
  if (!query || query.source !== "Email") return null;
  const thread = await repo.threads.get(orgId, query.id);
  const mailbox = thread ? await repo.mailboxes.get(orgId, thread.mailboxId) : null;
  if (!thread) return null;
  // Without its mailbox (removed) the reply is still queued, so it fails visibly on the message.
  const domain = mailbox ? mailbox.email.slice(mailbox.email.lastIndexOf("@") + 1) : "localhost";
  const messageId = `<${ownMessageIdPrefix}${message.id}@${domain}>`;
  const now = deps.clock.now().toISOString();
  await repo.claim({
    id: await recordId(orgId, messageId),
    organizationId: orgId,
    messageId,
    direction: "out",
    state: "done",
    owner: null,
    mailboxId: thread.mailboxId,
    queryId: query.id,
    roomId: room.id,
    chatMessageId: message.id,
    reason: null,
    failures: 0,
    createdAt: now,
    updatedAt: now,
  });
  const reply = await repo.outbox.insert({
    id: message.id,
    organizationId: orgId,
    queryId: query.id,
    messageId,
    status: "queued",
    attempts: 0,
    nextAttemptAt: now,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  }).catch((err) => {
    // The reply to this message is queued already (a retried listener).
    if (err instanceof ConflictError) return null;
    throw err;
  });
  if (reply) await mirror(ctx, reply);
  return reply;
}

/** Copies the outbox state onto the chat message, where clients see it. */
async function mirror(ctx: ReplyContext, reply: OutgoingReply): Promise<void> {
  await ctx.deps.store.messages.setEmail(reply.organizationId, reply.id, {
    status: reply.status,
    messageId: reply.messageId,
    attempts: reply.attempts,
    lastError: reply.lastError,
    updatedAt: reply.updatedAt,
  });
}

/**
 * One send attempt of a queued reply that is due; claimed by a compare-and-set on its attempt
 * count, so two workers never send it twice at once. Failures wait longer each time, then fail.
 */
export async function attemptReply(
  ctx: ReplyContext,
  orgId: string,
  id: string,
): Promise<OutgoingReply | null> {
  const { deps, repo } = ctx;
  const item = await repo.outbox.get(orgId, id);
  const now = deps.clock.now();
  if (!item || item.status !== "queued" || Date.parse(item.nextAttemptAt) > now.getTime()) {
    return item;
  }
  const attempts = item.attempts + 1;
  const claimed = await repo.outbox.update(orgId, id, {
    attempts,
    nextAttemptAt: new Date(now.getTime() + retryDelayMs(attempts)).toISOString(),
    updatedAt: now.toISOString(),
  }, { status: "queued", attempts: item.attempts });
  if (!claimed) return null;
  let error: string | null = null;
  let permanent = false;
  try {
    await send(ctx, claimed);
  } catch (err) {
    error = err instanceof ReplyError ? err.message : errorMessage(err);
    permanent = err instanceof ReplyError && err.permanent;
    deps.log.warn("email reply failed", { messageId: id, attempts, error });
  }
  const done = await repo.outbox.update(orgId, id, {
    status: error === null
      ? "sent"
      : permanent || attempts >= maxReplyAttempts
      ? "failed"
      : "queued",
    lastError: error,
    updatedAt: deps.clock.now().toISOString(),
  });
  if (done) await mirror(ctx, done);
  return done;
}

/** A send failure in words; `permanent` when retrying cannot help (the mailbox is gone). */
class ReplyError extends Error {
  constructor(message: string, readonly permanent = false) {
    super(message);
  }
}

async function send(ctx: ReplyContext, reply: OutgoingReply): Promise<void> {
  const { deps, repo } = ctx;
  const orgId = reply.organizationId;
  const thread = await repo.threads.get(orgId, reply.queryId);
  const mailbox = thread ? await repo.mailboxes.get(orgId, thread.mailboxId) : null;
  const query = await deps.store.queries.findById(orgId, reply.queryId);
  const message = await deps.store.messages.findById(orgId, reply.id);
  if (!thread || !mailbox || !query || !message) {
    throw new ReplyError("The query, its message or its mailbox no longer exists", true);
  }
  const box = await ctx.box();
  const smtp = {
    ...mailbox.smtp,
    password: mailbox.smtp.password
      ? await box.open(mailbox.smtp.password, `${mailbox.id}:smtp`)
      : null,
  };
  const base = thread.subject.replace(/^((re|aw|fwd?)\s*:\s*)+/i, "") || query.title;
  const tag = `[${query.reference}]`;
  const subject = `Re: ${base}${base.includes(tag) ? "" : ` ${tag}`}`;
  const meta = message.fileId ? await ctx.attachments.find(orgId, message.fileId) : null;
  // Opened last: a stream left unread holds the file open until the send closes it.
  const file = message.fileId ? await deps.files.open(message.fileId) : null;
  try {
    await sendSmtp(smtp, {
      from: { name: mailbox.name, address: mailbox.email },
      to: thread.customerEmail,
      subject,
      text: message.text,
      messageId: reply.messageId,
      ...(thread.lastInboundId ? { inReplyTo: thread.lastInboundId } : {}),
      references: thread.references,
      headers: { "X-ChatCRM-Query": query.reference },
      attachments: file
        ? [{
          filename: meta?.name ?? "attachment",
          content: file.stream,
          ...(meta ? { contentType: meta.contentType } : {}),
        }]
        : [],
    }, ctx.outbound);
  } catch (err) {
    throw new ReplyError(describeMailError(err, mailbox.smtp));
  }
  const references = [...thread.references, reply.messageId].slice(-50);
  await repo.threads.update(orgId, thread.id, { references, updatedAt: reply.updatedAt });
}

/** The job: every due queued reply of every active organization gets one attempt. */
export async function sendDueReplies(
  ctx: ReplyContext,
): Promise<{ sent: number; failed: number; waiting: number }> {
  const run = { sent: 0, failed: 0, waiting: 0 };
  const now = ctx.deps.clock.now().toISOString();
  for await (const org of activeOrganizations(ctx.deps.store.organizations)) {
    const queued = await ctx.repo.outbox.find(org.id, {
      where: { status: "queued" },
      sort: [["nextAttemptAt", "asc"]],
      page: { page: 1, limit: 100 },
    });
    for (const item of queued.data.filter((r) => r.nextAttemptAt <= now)) {
      const after = await attemptReply(ctx, org.id, item.id);
      if (after?.status === "sent") run.sent++;
      else if (after?.status === "failed") run.failed++;
      else run.waiting++;
    }
  }
  return run;
}
