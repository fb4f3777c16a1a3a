import { ConflictError } from "@/errors.ts";
import type { InboundMail } from "@/mail/parse.ts";
import type { Query } from "@/modules/queries/model.ts";
import type { Mailbox, MailRecord } from "./model.ts";
import { recordId } from "./repository.ts";
import type { ImportContext } from "./importer.ts";

/** A claim older than this is taken over: its poller died between claiming and finishing. */
export const staleClaimMs = 10 * 60_000;

/**
 * The query a mail answers: one whose Message-IDs it names (In-Reply-To, References), else the
 * `[Q-000123]` in its subject, only when the sender is that query's customer. Closed queries
 * take no more mail: a reply to one opens a new query.
 */
export async function threadedQuery(
  ctx: ImportContext,
  orgId: string,
  mail: InboundMail,
  customerId: string,
): Promise<Query | null> {
  const { store } = ctx.deps;
  const open = (q: Query | null) => (q && q.status !== "Closed" ? q : null);
  const named = [mail.inReplyTo, ...[...mail.references].reverse()].filter((v): v is string =>
    Boolean(v)
  );
  for (const ref of [...new Set(named)].slice(0, 20)) {
    const record = await ctx.repo.records.get(orgId, await recordId(orgId, ref));
    if (record?.queryId) {
      const query = open(await store.queries.findById(orgId, record.queryId));
      if (query) return query;
    }
  }
  const reference = /\[(Q-\d{6,})\]/i.exec(mail.subject)?.[1]?.toUpperCase();
  if (!reference) return null;
  const found = await store.queries.list(
    orgId,
    { text: reference, customerId },
    { field: "createdAt", order: "desc" },
    { page: 1, limit: 10 },
  );
  return open(found.data.find((q) => q.reference === reference) ?? null);
}

/**
 * A query an earlier, interrupted import of this mail opened before it could note it on the
 * record: the customer's email query with the mail's subject, opened since the claim.
 */
export async function madeBeforeCrash(
  ctx: ImportContext,
  record: MailRecord,
  customerId: string,
  mail: InboundMail,
): Promise<Query | null> {
  const found = await ctx.deps.store.queries.list(
    record.organizationId,
    {
      customerId,
      source: "Email",
      createdFrom: record.createdAt,
      createdTo: new Date(Date.parse(record.createdAt) + staleClaimMs).toISOString(),
    },
    { field: "createdAt", order: "asc" },
    { page: 1, limit: 20 },
  );
  const title = (mail.subject || "(no subject)").slice(0, 200);
  return found.data.find((q) => q.title === title) ?? null;
}

/** Keeps the thread's Message-IDs, so replies carry In-Reply-To and References. */
export async function rememberThread(
  ctx: ImportContext,
  mailbox: Mailbox,
  mail: InboundMail,
  query: Query,
  messageId: string,
): Promise<void> {
  const threads = ctx.repo.threads;
  const orgId = mailbox.organizationId;
  const at = ctx.deps.clock.now().toISOString();
  for (let attempt = 0; attempt < 5; attempt++) {
    const thread = await threads.get(orgId, query.id);
    if (!thread) {
      const made = await threads.insert({
        id: query.id,
        organizationId: orgId,
        mailboxId: mailbox.id,
        customerEmail: mail.from!.address,
        subject: mail.subject || query.title,
        references: [messageId],
        lastInboundId: messageId,
        createdAt: at,
        updatedAt: at,
      }).catch((err) => {
        // Another poll made the thread first: read it on the next turn.
        if (err instanceof ConflictError) return null;
        throw err;
      });
      if (made) return;
      continue;
    }
    if (thread.references.includes(messageId)) return;
    const references = [...thread.references, messageId].slice(-50);
    const done = await threads.update(orgId, query.id, {
      references,
      lastInboundId: messageId,
      updatedAt: at,
    }, { updatedAt: thread.updatedAt });
    if (done) return;
  }
}
