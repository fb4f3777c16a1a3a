import type { ContactService } from "@/modules/contacts/service.ts";
import { activeOrganizations } from "@/modules/organizations/repository.ts";
import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import type { Actor } from "@/modules/users/actor.ts";
import { verifyImap } from "@/mail/imap.ts";
import { verifySmtp } from "@/mail/smtp.ts";
import { errorMessage } from "@/log.ts";
import { egressPolicy } from "@/net/egress.ts";
import type { ChatService } from "@/modules/chat/service.ts";
import type { AttachmentService } from "@/modules/chat/attachments.ts";
import type { Message, Room } from "@/modules/chat/repository.ts";
import type { QueryService } from "@/modules/queries/service.ts";
import type { Query } from "@/modules/queries/model.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import type { Mailbox } from "./model.ts";
import { emailRepository } from "./repository.ts";
import {
  type MailboxPatch,
  mailboxSettings,
  type MailboxView,
  type NewMailbox,
} from "./settings.ts";
import { encryptionKey, type SecretBox, secretBox } from "./secrets.ts";
import { type PollContext, pollMailbox, type PollOptions, type PollReport } from "./poller.ts";
import { attemptReply, queueReply, sendDueReplies } from "./replies.ts";
import { describeMailError } from "./errors.ts";

export type { MailboxPatch, MailboxView, NewMailbox } from "./settings.ts";

export interface ConnectionCheck {
  ok: boolean;
  error: string | null;
}

export interface EmailService {
  list(orgId: string, page: PageRequest): Promise<PageResult<MailboxView>>;
  get(orgId: string, id: string): Promise<MailboxView>;
  create(actor: Actor, input: NewMailbox): Promise<MailboxView>;
  update(actor: Actor, id: string, patch: MailboxPatch): Promise<MailboxView>;
  remove(actor: Actor, id: string): Promise<void>;
  /** Tries the IMAP login and the SMTP handshake; each result in words. */
  test(orgId: string, id: string): Promise<{ imap: ConnectionCheck; smtp: ConnectionCheck }>;
  /** Polls one mailbox now, whatever its schedule. */
  poll(orgId: string, id: string, options?: PollOptions): Promise<PollReport>;
  /** The job: polls every enabled mailbox whose time has come, one after another. */
  pollDue(): Promise<{ polled: number; imported: number; failed: number; busy: number }>;
  /** The job: sends queued replies that are due. */
  sendDue(): ReturnType<typeof sendDueReplies>;
  /**
   * Queues a message of an email query's room as a mail to the customer (staff messages only)
   * and starts sending it; the `message.created` listener of the email channel.
   */
  replyTo(message: Message, room: Room, query?: Query | null): Promise<void>;
  /** Resolves when the reply sends started by `replyTo` have finished (tests, shutdown). */
  settle(): Promise<void>;
}

/** Mailbox settings, polling and replies of the email channel. */
export function createEmailService(
  deps: Deps,
  support: {
    chat: ChatService;
    queries: QueryService;
    attachments: Pick<AttachmentService, "keep" | "find">;
    contacts: Pick<ContactService, "settleMerge">;
  },
): EmailService {
  const repo = emailRepository(deps.store);
  let boxPromise: Promise<SecretBox> | undefined;
  const box = () => boxPromise ??= encryptionKey(deps.config).then(secretBox);
  const outbound = {
    egress: egressPolicy({ allowedCidrs: deps.config.outboundAllowedCidrs }),
    timeoutMs: deps.config.imap.timeoutSeconds * 1000,
  };
  const ctx: PollContext = {
    deps,
    repo,
    chat: support.chat,
    queries: support.queries,
    attachments: support.attachments,
    contacts: support.contacts,
    box,
    instanceId: deps.instanceId,
    outbound,
  };
  const pending = new Set<Promise<unknown>>();

  async function plainPasswords(m: Mailbox) {
    const b = await box();
    try {
      return {
        imap: await b.open(m.imap.password, `${m.id}:imap`),
        smtp: m.smtp.password ? await b.open(m.smtp.password, `${m.id}:smtp`) : null,
      };
    } catch (err) {
      throw new AppError("CONFLICT", errorMessage(err));
    }
  }

  const settings = mailboxSettings(deps, repo, box);
  const found = settings.found;
  const service: EmailService = {
    list: settings.list,
    get: settings.get,
    create: settings.create,
    update: settings.update,
    remove: settings.remove,
    async test(orgId, id) {
      const m = await found(orgId, id);
      const pw = await plainPasswords(m);
      const check = async (fn: () => Promise<void>, server: { host: string; port: number }) => {
        try {
          await fn();
          return { ok: true, error: null };
        } catch (err) {
          return { ok: false, error: describeMailError(err, server) };
        }
      };
      const [imap, smtp] = await Promise.all([
        check(() => verifyImap({ ...m.imap, password: pw.imap }, outbound), m.imap),
        check(() => verifySmtp({ ...m.smtp, password: pw.smtp }, outbound), m.smtp),
      ]);
      return { imap, smtp };
    },
    async poll(orgId, id, options) {
      return await pollMailbox(ctx, await found(orgId, id), options);
    },
    async pollDue() {
      const run = { polled: 0, imported: 0, failed: 0, busy: 0 };
      // A few seconds of slack: cron fires on the minute, a little before or after the time due.
      const due = deps.clock.now().getTime() + 5_000;
      for await (const org of activeOrganizations(deps.store.organizations)) {
        const enabled = await repo.mailboxes.find(org.id, {
          where: { pollingEnabled: true },
          sort: [["createdAt", "asc"]],
          page: { page: 1, limit: 100 },
        });
        for (const mailbox of enabled.data) {
          if (mailbox.nextPollAt && Date.parse(mailbox.nextPollAt) > due) continue;
          const report = await pollMailbox(ctx, mailbox);
          run.polled++;
          run.imported += report.imported.filter((o) =>
            o.status === "created" || o.status === "appended"
          ).length;
          if (report.status === "failed") run.failed++;
          if (report.status === "busy") run.busy++;
        }
      }
      return run;
    },
    sendDue: () => sendDueReplies(ctx),
    async replyTo(message, room, query) {
      const reply = await queueReply(ctx, message, room, query);
      if (!reply) return;
      const attempt = attemptReply(ctx, reply.organizationId, reply.id).catch((err) =>
        deps.log.error("email reply attempt failed", { error: errorMessage(err) })
      ).finally(() => pending.delete(attempt));
      pending.add(attempt);
    },
    async settle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
  return service;
}
