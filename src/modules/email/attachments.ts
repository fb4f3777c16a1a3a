import type { Deps } from "@/deps.ts";
import type { InboundAttachment } from "@/mail/parse.ts";
import { type AttachmentService, roomFileTypes } from "@/modules/chat/attachments.ts";
import { contentMismatch } from "@/modules/uploads.ts";

/** Attachment types a mail may bring in (those a room accepts); anything else is kept out and noted. */
export const mailFileTypes = roomFileTypes;

export interface StoredMailFile {
  id: string;
  /** The file message's text: name, type and size. */
  label: string;
}

/** Whole megabytes or kilobytes, for notes people read. */
export function readableSize(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${Math.round(bytes / 1024 / 1024)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Why an attachment is kept out: too large, a type rooms do not take, or content of another type. */
async function refusal(a: InboundAttachment, type: string, limit: number): Promise<string | null> {
  if (a.size > limit) return `${readableSize(a.size)} is over the ${readableSize(limit)} limit`;
  if (!mailFileTypes.includes(type)) return `type "${type}" is not accepted`;
  return await contentMismatch(a.content, type);
}

/**
 * Stores the attachments a mail may keep (allowed type, at most UPLOAD_LIMIT_BYTES) as files of
 * the room (downloadable like chat uploads) under ids made from `prefix`, so a repeated import
 * overwrites instead of adding; says why the others were refused.
 */
export async function storeAttachments(
  { deps, files }: { deps: Pick<Deps, "config">; files: Pick<AttachmentService, "keep"> },
  attachments: InboundAttachment[],
  target: { prefix: string; orgId: string; roomId: string; senderId: string },
): Promise<{ stored: StoredMailFile[]; refused: { filename: string; reason: string }[] }> {
  const stored: StoredMailFile[] = [];
  const refused: { filename: string; reason: string }[] = [];
  const limit = deps.config.uploadLimitBytes;
  for (const [i, a] of attachments.entries()) {
    const filename = a.filename.replace(/[^\w .()-]/g, "_").slice(0, 200) || "attachment";
    const type = a.contentType.split(";")[0]!.trim();
    const reason = await refusal(a, type, limit);
    if (reason) refused.push({ filename, reason });
    else {
      const id = `${target.prefix}-${i + 1}`;
      await files.keep({
        id,
        organizationId: target.orgId,
        scope: "room",
        scopeId: target.roomId,
        name: filename,
        contentType: type,
        size: a.size,
        uploadedBy: target.senderId,
      }, a.content);
      stored.push({ id, label: `${filename} (${type}, ${readableSize(a.size)})` });
    }
  }
  return { stored, refused };
}
