import type { Deps } from "@/deps.ts";
import { notFound } from "@/errors.ts";
import type { Actor } from "@/modules/users/actor.ts";
import { audit } from "@/modules/audit/service.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import type { Mailbox } from "./model.ts";
import type { EmailRepository } from "./repository.ts";
import type { SecretBox } from "./secrets.ts";

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

/** Mailbox settings: CRUD with sealed passwords and an audit entry per change. */
export interface MailboxSettings {
  list(orgId: string, page: PageRequest): Promise<PageResult<MailboxView>>;
  get(orgId: string, id: string): Promise<MailboxView>;
  create(actor: Actor, input: NewMailbox): Promise<MailboxView>;
  update(actor: Actor, id: string, patch: MailboxPatch): Promise<MailboxView>;
  remove(actor: Actor, id: string): Promise<void>;
  /** The stored mailbox, or 404. */
  found(orgId: string, id: string): Promise<Mailbox>;
}

/** The mailbox as the API shows it. */
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

export function mailboxSettings(
  deps: Pick<Deps, "store" | "clock" | "ids" | "log">,
  repo: EmailRepository,
  box: () => Promise<SecretBox>,
): MailboxSettings {
  const now = () => deps.clock.now().toISOString();

  async function found(orgId: string, id: string): Promise<Mailbox> {
    const mailbox = await repo.mailboxes.get(orgId, id);
    if (!mailbox) throw notFound("Mailbox", id);
    return mailbox;
  }

  return {
    found,
    async list(orgId, page) {
      const result = await repo.mailboxes.find(orgId, { sort: [["createdAt", "asc"]], page });
      return { data: result.data.map(view), total: result.total };
    },
    async get(orgId, id) {
      return view(await found(orgId, id));
    },
    async create(actor, input) {
      const { orgId } = actor;
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
        ip: actor.ip ?? null,
        details: { email: mailbox.email, imapHost: mailbox.imap.host },
      });
      return view(mailbox);
    },
    async update(actor, id, patch) {
      const { orgId } = actor;
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
        ip: actor.ip ?? null,
        details: { fields: changedFields(patch) },
      });
      return view(next);
    },
    async remove(actor, id) {
      const { orgId } = actor;
      if (!await repo.mailboxes.delete(orgId, id)) throw notFound("Mailbox", id);
      await audit(deps, {
        organizationId: orgId,
        action: "email_config.removed",
        actor,
        targetType: "mailbox",
        targetId: id,
        ip: actor.ip ?? null,
      });
    },
  };
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
