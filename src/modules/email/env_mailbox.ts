import type { Deps } from "@/deps.ts";
import { errorMessage } from "@/log.ts";
import type { EmailService } from "./service.ts";
import type { MailboxView } from "./settings.ts";

/**
 * The mailbox the environment names (`IMAP_*`, for the organization `IMAP_ORGANIZATION`), made
 * or brought up to date at start, so a single-desk deployment that configures mail by
 * environment, as the seed did, needs no API call. Replies leave by the `SMTP_*` server. A
 * missing organization or a refused setting is logged and the API serves on; null then.
 */
export async function ensureEnvMailbox(
  deps: Pick<Deps, "config" | "store" | "log">,
  email: Pick<EmailService, "list" | "create" | "update">,
): Promise<MailboxView | null> {
  const env = deps.config.envMailbox;
  if (!env) return null;
  try {
    const org = await deps.store.organizations.findBySlug(env.organization);
    if (!org) {
      deps.log.error("IMAP_ORGANIZATION names no organization: the mailbox was not set up", {
        organization: env.organization,
      });
      return null;
    }
    const actor = { userId: "system", orgId: org.id, role: "Admin" as const };
    const smtp = deps.config.smtp;
    const settings = {
      imap: {
        host: env.host,
        port: env.port,
        secure: env.secure,
        user: env.user,
        password: env.password,
      },
      smtp: {
        host: smtp.host ?? env.host,
        port: smtp.port,
        secure: smtp.secure,
        user: smtp.user ?? null,
        password: smtp.password ?? null,
      },
    };
    const existing = (await email.list(org.id, { page: 1, limit: 100 })).data
      .find((m) => m.email === env.email);
    const mailbox = existing
      ? await email.update(actor, existing.id, settings)
      : await email.create(actor, {
        name: `${org.name} (IMAP_HOST)`,
        email: env.email,
        ...settings,
        pollingEnabled: true,
      });
    deps.log.info("mailbox from the environment", {
      organization: env.organization,
      email: env.email,
      outcome: existing ? "updated" : "created",
    });
    return mailbox;
  } catch (err) {
    deps.log.error("the IMAP_* mailbox could not be set up", { error: errorMessage(err) });
    return null;
  }
}
