import { join } from "node:path";
import { AppError } from "@/errors.ts";

/** What is kept about a stored file besides its bytes. */
export interface StoredFile {
  id: string;
  size: number;
}

/** Uploaded bytes by id (avatars, chat files, mail attachments, call snapshots). */
export interface FileStore {
  /** Writes the bytes under a new id; the directory is created on first use. */
  put(id: string, data: Uint8Array): Promise<StoredFile>;
  /** The bytes, or null when no such file exists. */
  get(id: string): Promise<Uint8Array | null>;
  /** Removes the file; nothing happens when it is missing. */
  delete(id: string): Promise<void>;
}

const safeId = /^[A-Za-z0-9_-]{1,128}$/;

function checkId(id: string): string {
  if (!safeId.test(id)) throw new AppError("BAD_REQUEST", `Invalid file id "${id}"`);
  return id;
}

/** Files on local disk under `dir` (DATA_DIR/uploads, a volume in production). */
export function diskFileStore(dir: string): FileStore {
  let ready: Promise<void> | undefined;
  const ensureDir = () => ready ??= Deno.mkdir(dir, { recursive: true });
  return {
    async put(id, data) {
      await ensureDir();
      const path = join(dir, checkId(id));
      const tmp = `${path}.tmp`;
      await Deno.writeFile(tmp, data);
      await Deno.rename(tmp, path);
      return { id, size: data.byteLength };
    },
    async get(id) {
      try {
        return await Deno.readFile(join(dir, checkId(id)));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return null;
        throw err;
      }
    },
    async delete(id) {
      try {
        await Deno.remove(join(dir, checkId(id)));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    },
  };
}
