import type { ByteRange, OpenFile } from "@/store/files.ts";
import { findAll } from "@/store/documents.ts";
import type { Deps } from "@/deps.ts";
import { AppError, ConflictError, notFound } from "@/errors.ts";
import { checkedStream, type IncomingFile } from "@/modules/uploads.ts";

/** A file shared in a room or taken during a call; its bytes live in the file store. */
export interface Attachment {
  id: string;
  organizationId: string;
  scope: "room" | "call";
  /** The room or call it belongs to: who may read that may download it. */
  scopeId: string;
  name: string;
  contentType: string;
  size: number;
  uploadedBy: string;
  createdAt: string;
}

/** Types a room accepts; a call takes images only. */
export const roomFileTypes = [
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
  "text/plain",
  "text/csv",
  "application/zip",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];
export const imageTypes = roomFileTypes.slice(0, 4);

export interface AttachmentService {
  /**
   * Streams an uploaded file into the file store: its type checked from its first bytes, its
   * size capped as it arrives (UPLOAD_LIMIT_BYTES); a refused file leaves nothing stored.
   */
  save(
    orgId: string,
    target: { scope: Attachment["scope"]; id: string },
    file: IncomingFile,
    userId: string,
    allowed: string[],
  ): Promise<Attachment>;
  /**
   * Streams a file the server took in itself (a mail attachment, its type checked) into the
   * file store under its own id, capped at UPLOAD_LIMIT_BYTES as it passes (a failed or
   * oversized stream leaves nothing stored and throws); a repeated id (the same mail imported
   * again) replaces the bytes and keeps the record stored first. Resolves with the size.
   */
  keep(
    file: Omit<Attachment, "createdAt" | "size">,
    stream: ReadableStream<Uint8Array>,
  ): Promise<number>;
  get(orgId: string, id: string): Promise<Attachment>;
  /** The file's record, or null when there is none. */
  find(orgId: string, id: string): Promise<Attachment | null>;
  /** The file streamed, or the byte range of it asked for (media players seek with these). */
  open(attachment: Attachment, range?: ByteRange): Promise<OpenFile>;
  /** The files of these rooms or calls and every file the user uploaded (a contact's files). */
  ofContact(orgId: string, userId: string, scopeIds: string[]): Promise<Attachment[]>;
  /** A merge: the files `from` uploaded name `to` as their uploader. */
  moveUploader(orgId: string, from: string, to: string): Promise<void>;
  /** An erasure: deletes the files the user uploaded, bytes and record; how many. */
  eraseUploader(orgId: string, userId: string): Promise<number>;
}

export function createAttachmentService(
  deps: Pick<Deps, "store" | "files" | "ids" | "clock" | "config">,
): AttachmentService {
  const docs = deps.store.documents("attachments");
  return {
    async save(orgId, target, file, userId, allowed) {
      if (!allowed.includes(file.type)) {
        await file.stream.cancel();
        throw new AppError(
          "UNSUPPORTED_MEDIA_TYPE",
          `Files of type "${file.type || "unknown"}" are not accepted here`,
          { details: { allowed } },
        );
      }
      const checked = await checkedStream(file, "file");
      const id = deps.ids.next();
      const { size } = await deps.files.write(id, checked, {
        maxBytes: deps.config.uploadLimitBytes,
      });
      try {
        return await docs.insert({
          id,
          organizationId: orgId,
          scope: target.scope,
          scopeId: target.id,
          name: file.name.replace(/[^\w .()-]/g, "_").slice(0, 200) || "file",
          contentType: file.type,
          size,
          uploadedBy: userId,
          createdAt: deps.clock.now().toISOString(),
        });
      } catch (err) {
        await deps.files.delete(id);
        throw err;
      }
    },
    async keep(file, stream) {
      const { size } = await deps.files.write(file.id, stream, {
        maxBytes: deps.config.uploadLimitBytes,
      });
      await docs.insert({ ...file, size, createdAt: deps.clock.now().toISOString() }).catch(
        (err) => {
          if (!(err instanceof ConflictError)) throw err;
        },
      );
      return size;
    },
    async get(orgId, id) {
      const found = await docs.get(orgId, id);
      if (!found) throw notFound("File", id);
      return found;
    },
    find: (orgId, id) => docs.get(orgId, id),
    async ofContact(orgId, userId, scopeIds) {
      const found = new Map<string, Attachment>();
      for (const a of await findAll(docs, orgId, { uploadedBy: userId })) found.set(a.id, a);
      for (const scopeId of scopeIds) {
        for (const a of await findAll(docs, orgId, { scopeId })) found.set(a.id, a);
      }
      return [...found.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async moveUploader(orgId, from, to) {
      await docs.updateMany(orgId, { uploadedBy: from }, { uploadedBy: to });
    },
    async eraseUploader(orgId, userId) {
      const files = await findAll(docs, orgId, { uploadedBy: userId });
      for (const file of files) {
        // The bytes first: a record without bytes answers 404, bytes without a record leak.
        await deps.files.delete(file.id);
        await docs.delete(orgId, file.id);
      }
      return files.length;
    },
    async open(attachment, range) {
      const file = await deps.files.open(attachment.id, range);
      if (!file) throw notFound("File", attachment.id);
      return file;
    },
  };
}
