const zipFamily = [
  "application/zip",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

/** For each declared type with a signature, the sniffed types (file-type) that match it. */
const signatures: Record<string, string[]> = {
  "image/png": ["image/png", "image/apng"],
  "image/jpeg": ["image/jpeg"],
  "image/gif": ["image/gif"],
  "image/webp": ["image/webp"],
  "application/pdf": ["application/pdf"],
  // A plain zip may hold an Office document; an Office document is a zip file.
  "application/zip": zipFamily,
  [zipFamily[1]!]: [zipFamily[1]!],
  [zipFamily[2]!]: [zipFamily[2]!],
};

/** Types without a signature: their content must be text, and no known binary format. */
const textTypes = ["text/plain", "text/csv"];

/**
 * The type the content's magic bytes say (file-type, loaded on first use: importing it takes
 * about 100 ms), or null when it has no known signature.
 */
export async function sniffedType(bytes: Uint8Array): Promise<string | null> {
  const { fileTypeFromBuffer } = await import("file-type");
  return (await fileTypeFromBuffer(bytes))?.mime ?? null;
}

/**
 * Why the content does not match its declared type (magic bytes, as file-type reads them), or
 * null when it does: HTML declared `image/png` is refused, a GIF declared `image/gif` passes
 * (whatever follows its header is harmless once served with `fileHeaders`).
 */
export async function contentMismatch(bytes: Uint8Array, declared: string): Promise<string | null> {
  const sniffed = await sniffedType(bytes);
  if (textTypes.includes(declared)) {
    if (sniffed) return `its content is ${sniffed}, not ${declared}`;
    if (bytes.includes(0) || !isUtf8(bytes)) return `its content is not text`;
    return null;
  }
  const accepted = signatures[declared];
  if (!accepted) return `files of type "${declared}" cannot be checked`;
  if (!sniffed || !accepted.includes(sniffed)) {
    return `its content is ${sniffed ?? "not recognised"}, not ${declared}`;
  }
  return null;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Headers of a user's file as the API serves it: its checked type, always as a download, and
 * sandboxed with nosniff so a browser never runs what it holds, even opened directly.
 */
export function fileHeaders(contentType: string, filename: string): Record<string, string> {
  const ascii = filename.replace(/[^\w .()-]/g, "_") || "file";
  return {
    "content-type": contentType,
    "content-disposition": `attachment; filename="${ascii}"`,
    "content-security-policy": "default-src 'none'; sandbox",
    "x-content-type-options": "nosniff",
  };
}

/**
 * One `Range: bytes=…` of a file of `size` bytes: `start-end`, `start-` or `-suffix`. Undefined
 * when there is no header or it asks for several ranges (the whole file is sent then); null when
 * it cannot be satisfied (416).
 */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    return suffix === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? null : { start, end };
}
