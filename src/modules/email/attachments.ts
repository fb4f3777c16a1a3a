import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import { type InboundAttachment, parseMail } from "@/mail/parse.ts";
import { type AttachmentService, roomFileTypes } from "@/modules/chat/attachments.ts";
import { checkedStream } from "@/modules/uploads.ts";

/** Attachment types a mail may bring in (those a room accepts); anything else is kept out and noted. */
export const mailFileTypes = roomFileTypes;

export interface StoredMailFile {
  id: string;
  /** The file message's text: name, type and size. */
  label: string;
}

/** Where a mail's files go: ids made from `prefix`, in the room, uploaded by the sender. */
export interface MailFileTarget {
  prefix: string;
  orgId: string;
  roomId: string;
  senderId: string;
}

type Stores = { deps: Pick<Deps, "config">; files: Pick<AttachmentService, "keep"> };

/** Whole megabytes or kilobytes, for notes people read. */
export function readableSize(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${Math.round(bytes / 1024 / 1024)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Why an attachment is kept out before its bytes are read: too large, or a type rooms do not take. */
function refusal(a: InboundAttachment, type: string, limit: number): string | null {
  if (a.size > limit) return `${readableSize(a.size)} is over the ${readableSize(limit)} limit`;
  if (!mailFileTypes.includes(type)) return `type "${type}" is not accepted`;
  return null;
}

/** One attachment planned for storing: its clean name and type, and why it is kept out. */
interface Planned {
  id: string;
  filename: string;
  type: string;
  reason: string | null;
  size: number | null;
}

/**
 * Stores the attachments a mail may keep (allowed type, at most UPLOAD_LIMIT_BYTES) as files of
 * the room (downloadable like chat uploads) under ids made from `prefix`, so a repeated import
 * overwrites instead of adding; says why the others were refused. `attachments` are what the
 * first reading of the mail found; the bytes come from reading it again (`reopen`), each one
 * streamed into the file store with its type checked from its first bytes and its size capped.
 */
export async function storeAttachments(
  stores: Stores,
  attachments: InboundAttachment[],
  reopen: () => Promise<ReadableStream<Uint8Array> | null>,
  target: MailFileTarget,
): Promise<{ stored: StoredMailFile[]; refused: { filename: string; reason: string }[] }> {
  const limit = stores.deps.config.uploadLimitBytes;
  const planned: Planned[] = attachments.map((a, i) => {
    const type = a.contentType.split(";")[0]!.trim();
    const filename = a.filename.replace(/[^\w .()-]/g, "_").slice(0, 200) || "attachment";
    return {
      id: `${target.prefix}-${i + 1}`,
      filename,
      type,
      reason: refusal(a, type, limit),
      size: null,
    };
  });
  if (planned.some((p) => !p.reason)) {
    const source = await reopen();
    if (!source) throw new Error("The mail was removed from the server while it was imported");
    await parseMail(source, {
      async onAttachment(a, i) {
        const p = planned[i];
        if (p && !p.reason) await keepStreamed(stores, p, a.content, target);
      },
    });
  }
  const stored: StoredMailFile[] = [];
  const refused: { filename: string; reason: string }[] = [];
  for (const p of planned) {
    if (p.size !== null) {
      stored.push({ id: p.id, label: `${p.filename} (${p.type}, ${readableSize(p.size)})` });
    } else {
      refused.push({ filename: p.filename, reason: p.reason ?? "it was not found again" });
    }
  }
  return { stored, refused };
}

/** Streams one attachment into the file store; a refusal is noted on `p`, nothing kept of it. */
async function keepStreamed(
  { deps, files }: Stores,
  p: Planned,
  content: ReadableStream<Uint8Array>,
  target: MailFileTarget,
): Promise<void> {
  try {
    const checked = await checkedStream(
      { name: p.filename, type: p.type, stream: content },
      "file",
    );
    p.size = await files.keep({
      id: p.id,
      organizationId: target.orgId,
      scope: "room",
      scopeId: target.roomId,
      name: p.filename,
      contentType: p.type,
      uploadedBy: target.senderId,
    }, checked);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const limit = readableSize(deps.config.uploadLimitBytes);
    p.reason = err.code === "PAYLOAD_TOO_LARGE"
      ? `it is over the ${limit} limit`
      : (err.details as { message?: string }[] | undefined)?.[0]?.message ?? err.message;
  }
}
