import { withImapFolder } from "@/mail/imap.ts";
import type { Outbound } from "@/net/egress.ts";
import { errorMessage } from "@/log.ts";
import type { Mailbox } from "./model.ts";
import {
  type ImportContext,
  importMail,
  type ImportOutcome,
  MailSourceError,
  sourceStream,
} from "./importer.ts";
import type { SecretBox } from "./secrets.ts";
import { describeMailError } from "./errors.ts";

export interface PollContext extends ImportContext {
  box(): Promise<SecretBox>;
  instanceId: string;
  /** The egress policy and timeout of every connection to a mailbox's servers. */
  outbound: Outbound;
}

/** What one poll of one mailbox did. */
export interface PollReport {
  mailboxId: string;
  /** ok: polled; busy: another poller holds the mailbox; failed: see `error`. */
  status: "ok" | "busy" | "failed";
  imported: ImportOutcome[];
  error: string | null;
}

export interface PollOptions {
  /** Mails handled per poll at most; the rest wait for the next one. */
  batch?: number;
  /** Called after a mail is imported and before its checkpoint is stored (tests crash here). */
  beforeCheckpoint?(uid: number): Promise<void> | void;
}

/** A mail could not be stored (not an IMAP failure): said as is, not as a server problem. */
class ImportFailed extends Error {}

/** How long a poller holds a mailbox; a crashed poller's lease runs out after it. */
const leaseMs = 10 * 60_000;
const maxBackoffMs = 60 * 60_000;

/**
 * The largest mail read whole (streamed, never held): room for attachments up to the upload
 * limit (base64 adds a third) and then some. A larger one is read only that far: its text is
 * imported and its attachments are noted as left out, so one huge mail never ties up a poll.
 */
export function maxMailBytes(uploadLimitBytes: number): number {
  return Math.max(uploadLimitBytes * 5, 1024 * 1024);
}

/** The wait after `failures` failures in a row: the poll interval doubled each time, capped. */
export function backoffMs(pollSeconds: number, failures: number): number {
  return Math.min(pollSeconds * 1000 * 2 ** Math.min(failures, 20), maxBackoffMs);
}

/**
 * Polls one mailbox under its lease: fetches the mail above its checkpoint (UID, reset when
 * UIDVALIDITY changes; the ledger keeps a re-scan from importing twice), imports each and moves
 * the checkpoint after it. A failure is stored on the mailbox with a backoff; it never throws.
 */
export async function pollMailbox(
  ctx: PollContext,
  mailbox: Mailbox,
  options: PollOptions = {},
): Promise<PollReport> {
  const { deps, repo } = ctx;
  const orgId = mailbox.organizationId;
  const owner = `${ctx.instanceId}:${deps.ids.next()}`;
  const now = () => deps.clock.now();
  const report: PollReport = { mailboxId: mailbox.id, status: "ok", imported: [], error: null };
  // The next poll is due an interval after this one started, so a slow poll keeps the pace.
  const started = now().getTime();
  const until = new Date(now().getTime() + leaseMs).toISOString();
  if (!await repo.lease(orgId, mailbox.id, owner, now().toISOString(), until)) {
    return { ...report, status: "busy" };
  }
  const held = { leaseOwner: owner };
  try {
    const password = await (await ctx.box()).open(mailbox.imap.password, `${mailbox.id}:imap`);
    const server = { ...mailbox.imap, password };
    await withImapFolder(server, mailbox.imap.folder, ctx.outbound, async (folder) => {
      let lastUid = mailbox.lastUid;
      if (mailbox.uidValidity !== folder.uidValidity) {
        if (mailbox.uidValidity !== null) {
          deps.log.warn("mailbox UIDVALIDITY changed; scanning it again", {
            mailboxId: mailbox.id,
            from: mailbox.uidValidity,
            to: folder.uidValidity,
          });
        }
        lastUid = 0;
        await checkpoint({ uidValidity: folder.uidValidity, lastUid });
      }
      for (const uid of await folder.uidsAfter(lastUid, options.batch ?? 50)) {
        const readLimit = maxMailBytes(deps.config.uploadLimitBytes);
        const first = await folder.open(uid, readLimit);
        if (first) {
          const reopen = async () => {
            const again = await folder.open(uid, readLimit);
            return again ? sourceStream(again.stream) : null;
          };
          const stream = sourceStream(first.stream);
          const source = { size: first.size, readLimit, stream, reopen };
          const outcome = await importMail(ctx, mailbox, source, owner)
            .catch((err) => {
              // The server failed mid-mail: said as a server problem, as when fetching failed.
              if (err instanceof MailSourceError) throw err.cause;
              throw new ImportFailed(`Importing UID ${uid} failed: ${errorMessage(err)}`);
            });
          if (outcome.status === "busy") break;
          report.imported.push(outcome);
        }
        await options.beforeCheckpoint?.(uid);
        await checkpoint({ uidValidity: folder.uidValidity, lastUid: uid });
      }
    });
    const at = now();
    await repo.mailboxes.update(orgId, mailbox.id, {
      lastPolledAt: at.toISOString(),
      lastSuccessAt: at.toISOString(),
      failures: 0,
      nextPollAt: new Date(started + deps.config.imap.pollSeconds * 1000).toISOString(),
    }, held);
  } catch (err) {
    report.status = "failed";
    report.error = err instanceof ImportFailed ? err.message : describeMailError(err, mailbox.imap);
    await recordFailure(report.error).catch((e) =>
      deps.log.error("mailbox state write failed", {
        mailboxId: mailbox.id,
        error: errorMessage(e),
      })
    );
    deps.log.warn("mailbox poll failed", { mailboxId: mailbox.id, error: report.error });
  } finally {
    await repo.release(orgId, mailbox.id, owner).catch(() => {});
  }
  return report;

  async function checkpoint(at: { uidValidity: string; lastUid: number }) {
    const done = await repo.mailboxes.update(orgId, mailbox.id, at, held);
    if (!done) throw new Error("Lost the mailbox lease to another poller");
  }

  async function recordFailure(error: string) {
    const current = await repo.mailboxes.get(orgId, mailbox.id);
    const failures = (current?.failures ?? 0) + 1;
    const at = now();
    await repo.mailboxes.update(orgId, mailbox.id, {
      lastPolledAt: at.toISOString(),
      lastError: error,
      lastErrorAt: at.toISOString(),
      failures,
      nextPollAt: new Date(at.getTime() + backoffMs(deps.config.imap.pollSeconds, failures))
        .toISOString(),
    }, held);
  }
}
