import type { Deps } from "@/deps.ts";
import { AppError, notFound } from "@/errors.ts";
import type { AuthContext } from "@/http/env.ts";
import { verifyImap } from "@/mail/imap.ts";
import { verifySmtp } from "@/mail/smtp.ts";
import { errorMessage } from "@/log.ts";
import { audit } from "@/modules/audit/service.ts";
import type { ChatService } from "@/modules/chat/service.ts";
import type { QueryService } from "@/modules/queries/service.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import type { Mailbox } from "./model.ts";
import { emailRepository } from "./repository.ts";
import { encryptionKey, type SecretBox, secretBox } from "./secrets.ts";
import { type PollContext, pollMailbox, type PollOptions, type PollReport } from "./poller.ts";
import { attemptReply, queueReply, sendDueReplies } from "./replies.ts";
import { describeMailError } from "./errors.ts";

export interface NewMailbox {
  name: string;
  email: string;
  imap: {
    host: string;
    port: number;
    secure: boolean;
    user: string;
    password: string;
    folder?: string;
  };
  smtp: {
    host: string;
    port: number;
    secure: boolean;
    user?: string | null;
    password?: string | null;
  };
  pollingEnabled: boolean;
}

/** A change: any field; a password left out is kept, an SMTP user or password null clears it. */
export interface MailboxPatch {
  name?: string;
  email?: string;
  imap?: Partial<NewMailbox["imap"]>;
  smtp?: Partial<NewMailbox["smtp"]>;
  pollingEnabled?: boolean;
}

/** A mailbox as the API shows it: passwords only as set or not, no lease internals. */
export type MailboxView = Omit<Mailbox, "imap" | "smtp" | "leaseOwner" | "leaseUntil"> & {
  imap: Omit<Mailbox["imap"], "password"> & { passwordSet: boolean };
  smtp: Omit<Mailbox["smtp"], "password"> & { passwordSet: boolean };
};

export interface ConnectionCheck {
  ok: boolean;
  error: string | null;
}

export interface EmailService {
  list(orgId: string, page: PageRequest): Promise<PageResult<MailboxView>>;
  get(orgId: string, id: string): Promise<MailboxView>;
  create(orgId: string, actor: AuthContext, input: NewMailbox): Promise<MailboxView>;
  update(orgId: string, actor: AuthContext, id: string, patch: MailboxPatch): Promise<MailboxView>;
  remove(orgId: string, actor: AuthContext, id: string): Promise<void>;
  /** Tries the IMAP login and the SMTP handshake; each result in words. */
  test(orgId: string, id: string): Promise<{ imap: ConnectionCheck; smtp: ConnectionCheck }>;
  /** Polls one mailbox now, whatever its schedule. */
  poll(orgId: string, id: string, options?: PollOptions): Promise<PollReport>;
  /** The job: polls every enabled mailbox whose time has come, one after another. */
  pollDue(): Promise<{ polled: number; imported: number; failed: number; busy: number }>;
  /** The job: sends queued replies that are due. */
  sendDue(): ReturnType<typeof sendDueReplies>;
  /** Sends agents' replies on email queries by SMTP: register on the app's chat service. */
  attach(chat: ChatService): void;
  /** Resolves when the reply sends started by `attach` have finished (tests, shutdown). */
  settle(): Promise<void>;
}

export function view(mailbox: Mailbox): MailboxView {
  const { leaseOwner: _o, leaseUntil: _u, imap, smtp, ...rest } = mailbox;
  const { password: imapPassword, ...imapShown } = imap;
  const { password: smtpPassword, ...smtpShown } = smtp;
  return {
    ...rest,
    imap: { ...imapShown, passwordSet: Boolean(imapPassword) },
    smtp: { ...smtpShown, passwordSet: Boolean(smtpPassword) },
  };
}

/** Mailbox settings, polling and replies of the email channel (issue 6). */
export function createEmailService(
  deps: Deps,
  support: { chat: ChatService; queries: QueryService },
): EmailService {
  const repo = emailRepository(deps.store);
  let boxPromise: Promise<SecretBox> | undefined;
  const box = () => boxPromise ??= encryptionKey(deps.config).then(secretBox);
  const ctx: PollContext = {
    deps,
    repo,
    chat: support.chat,
    queries: support.queries,
    box,
    instanceId: deps.instanceId,
  };
  const pending = new Set<Promise<unknown>>();
  const timeoutMs = deps.config.imap.timeoutSeconds * 1000;
  const now = () => deps.clock.now().toISOString();

  async function found(orgId: string, id: string): Promise<Mailbox> {
    const mailbox = await repo.mailboxes.get(orgId, id);
    if (!mailbox) throw notFound("Mailbox", id);
    return mailbox;
  }

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

  const service: EmailService = {
    async list(orgId, page) {
      const result = await repo.mailboxes.find(orgId, { sort: [["createdAt", "asc"]], page });
      return { data: result.data.map(view), total: result.total };
    },
    async get(orgId, id) {
      return view(await found(orgId, id));
    },
    async create(orgId, actor, input) {
      const id = deps.ids.next();
      const b = await box();
      const at = now();
      const mailbox = await repo.mailboxes.insert({
        id,
        organizationId: orgId,
        name: input.name,
        email: input.email.toLowerCase(),
        imap: {
          host: input.imap.host,
          port: input.imap.port,
          secure: input.imap.secure,
          user: input.imap.user,
          password: await b.seal(input.imap.password, `${id}:imap`),
          folder: input.imap.folder ?? "INBOX",
        },
        smtp: {
          host: input.smtp.host,
          port: input.smtp.port,
          secure: input.smtp.secure,
          user: input.smtp.user ?? null,
          password: input.smtp.password ? await b.seal(input.smtp.password, `${id}:smtp`) : null,
        },
        pollingEnabled: input.pollingEnabled,
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
      });
      await audit(deps, {
        organizationId: orgId,
        action: "email_config.created",
        actor,
        targetType: "mailbox",
        targetId: id,
        ip: null,
        details: { email: mailbox.email, imapHost: mailbox.imap.host },
      });
      return view(mailbox);
    },
    async update(orgId, actor, id, patch) {
      const current = await found(orgId, id);
      const b = await box();
      const imap = { ...current.imap, ...withoutPassword(patch.imap) };
      if (patch.imap?.password) imap.password = await b.seal(patch.imap.password, `${id}:imap`);
      const smtp = { ...current.smtp, ...withoutPassword(patch.smtp) };
      if (patch.smtp?.password !== undefined) {
        smtp.password = patch.smtp.password
          ? await b.seal(patch.smtp.password, `${id}:smtp`)
          : null;
      }
      // Another server, account or folder has its own UIDs: start its checkpoint afresh.
      const moved = imap.host !== current.imap.host || imap.user !== current.imap.user ||
        imap.folder !== current.imap.folder || imap.port !== current.imap.port;
      const next = await repo.mailboxes.update(orgId, id, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.email !== undefined ? { email: patch.email.toLowerCase() } : {}),
        ...(patch.pollingEnabled !== undefined ? { pollingEnabled: patch.pollingEnabled } : {}),
        imap,
        smtp,
        ...(moved ? { uidValidity: null, lastUid: 0 } : {}),
        // New settings deserve a try now rather than after a long backoff.
        nextPollAt: null,
        updatedAt: now(),
      });
      if (!next) throw notFound("Mailbox", id);
      await audit(deps, {
        organizationId: orgId,
        action: "email_config.updated",
        actor,
        targetType: "mailbox",
        targetId: id,
        ip: null,
        details: { fields: changedFields(patch) },
      });
      return view(next);
    },
    async remove(orgId, actor, id) {
      if (!await repo.mailboxes.delete(orgId, id)) throw notFound("Mailbox", id);
      await audit(deps, {
        organizationId: orgId,
        action: "email_config.removed",
        actor,
        targetType: "mailbox",
        targetId: id,
        ip: null,
      });
    },
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
        check(() => verifyImap({ ...m.imap, password: pw.imap }, timeoutMs), m.imap),
        check(() => verifySmtp({ ...m.smtp, password: pw.smtp }, timeoutMs), m.smtp),
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
      for (let page = 1;; page++) {
        const orgs = await deps.store.organizations.list({ active: true }, { page, limit: 100 });
        for (const org of orgs.data) {
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
        if (page * 100 >= orgs.total) break;
      }
      return run;
    },
    sendDue: () => sendDueReplies(ctx),
    attach(chat) {
      chat.onMessage(async (message, room) => {
        const reply = await queueReply(ctx, message, room);
        if (!reply) return;
        const attempt = attemptReply(ctx, reply.organizationId, reply.id).catch((err) =>
          deps.log.error("email reply attempt failed", { error: errorMessage(err) })
        ).finally(() => pending.delete(attempt));
        pending.add(attempt);
      });
      deps.onShutdown(() => service.settle());
    },
    async settle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
  return service;
}

/** The given settings fields except the password (sealed separately). */
function withoutPassword<T extends object>(value: T | undefined): Partial<Omit<T, "password">> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([k, v]) => k !== "password" && v !== undefined),
  ) as Partial<Omit<T, "password">>;
}

function changedFields(patch: MailboxPatch): string[] {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) if (v !== undefined) fields.push(`${key}.${k}`);
    } else fields.push(key);
  }
  return fields;
}
