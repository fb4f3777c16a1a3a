import type { Readable } from "node:stream";

/** What the importer needs from a received mail, as plain text (no HTML kept). */
export interface InboundMail {
  messageId: string | null;
  inReplyTo: string | null;
  /** Message-IDs this mail refers to, oldest first. */
  references: string[];
  subject: string;
  from: { address: string; name: string } | null;
  text: string;
  /** Loop signals: the Auto-Submitted and Precedence headers, lower-cased. */
  autoSubmitted: string | null;
  precedence: string | null;
  /** The attachments as they passed, in order: their bytes were streamed, never kept. */
  attachments: InboundAttachment[];
}

export interface InboundAttachment {
  filename: string;
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
}

/** One attachment while the parser streams it: `content` must be read to its end or cancelled. */
export interface StreamedAttachment {
  filename: string;
  contentType: string;
  content: ReadableStream<Uint8Array>;
}

export interface ParseOptions {
  /**
   * Called for each attachment, in order, while the parser waits: what the handler does not read
   * of `content` (it cancelled) is skipped. Without a handler every attachment is skipped.
   */
  onAttachment?(attachment: StreamedAttachment, index: number): Promise<void>;
}

/** The most text (and HTML) kept of a mail: the importer shows 10,000 characters at most. */
export const maxTextChars = 100_000;

const ids = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : value ? value.split(/\s+/) : []).map((v) => v.trim()).filter(
    Boolean,
  );

function header(headers: Map<string, unknown>, name: string): string | null {
  const value = headers.get(name);
  if (value === undefined || value === null) return null;
  const text = typeof value === "object" && "value" in value
    ? String((value as { value: unknown }).value)
    : String(value);
  return text.trim().toLowerCase() || null;
}

const clip = (text: unknown): string => typeof text === "string" ? text.slice(0, maxTextChars) : "";

/** The parts of a mail collected while it streams through the parser. */
interface Collected {
  headers: Map<string, unknown>;
  text: string;
  html: string;
  attachments: InboundAttachment[];
  failed: unknown;
}

/**
 * Parses a raw RFC 822 mail with mailparser's streaming parser (loaded on first use): headers and
 * text are kept (HTML becomes text), each attachment's bytes pass through `onAttachment` (or are
 * skipped) and are never held. The source is always read to its end, also when the mail turns
 * out unreadable (so a caller hashing it sees every byte); then the parser's error is thrown.
 */
export async function parseMail(
  source: Uint8Array | ReadableStream<Uint8Array>,
  options: ParseOptions = {},
): Promise<InboundMail> {
  const { MailParser } = await import("mailparser");
  const parser = new MailParser({
    skipTextToHtml: true,
    skipImageLinks: true,
    skipHtmlToText: true,
    // deno-lint-ignore no-explicit-any
  } as any) as unknown as Readable & NodeWritable;
  const got: Collected = { headers: new Map(), text: "", html: "", attachments: [], failed: null };
  parser.on("headers", (headers: Map<string, unknown>) => got.headers = headers);
  parser.on("error", (err: unknown) => got.failed ??= err);
  const input = source instanceof Uint8Array ? new Blob([source as BlobPart]).stream() : source;
  await Promise.all([feed(parser, input, got), consume(parser, options, got)]);
  if (got.failed) throw got.failed;
  const headers = got.headers;
  const from =
    (headers.get("from") as { value?: { address?: string; name?: string }[] } | undefined)
      ?.value?.[0];
  const text = got.text.trim() ? got.text : htmlToText(got.html);
  return {
    messageId: (headers.get("message-id") as string | undefined)?.trim() || null,
    inReplyTo: ids(headers.get("in-reply-to") as string | undefined)[0] ?? null,
    references: ids(headers.get("references") as string | string[] | undefined),
    subject: String(headers.get("subject") ?? "").replace(/\s+/g, " ").trim(),
    from: from?.address ? { address: from.address.toLowerCase(), name: from.name ?? "" } : null,
    text: text.replace(/\r\n/g, "\n").trim(),
    autoSubmitted: header(headers, "auto-submitted"),
    precedence: header(headers, "precedence"),
    attachments: got.attachments,
  };
}

/** The writable side of the parser, as far as `feed` uses it. */
interface NodeWritable {
  write(chunk: Uint8Array): boolean;
  end(): void;
}

/** Writes the source into the parser as fast as it takes it; after a failure, reads on unheard. */
async function feed(
  parser: Readable & NodeWritable,
  input: ReadableStream<Uint8Array>,
  got: Collected,
) {
  const { Buffer } = await import("node:buffer");
  const reader = input.getReader();
  for (;;) {
    const { value, done } = await reader.read().catch((err) => {
      // The source failed (the connection): the parser stops, the caller hears of the source.
      parser.destroy();
      throw err;
    });
    if (done) break;
    if (got.failed) continue;
    if (!parser.write(Buffer.from(value.buffer, value.byteOffset, value.byteLength))) {
      await new Promise<void>((resolve) => {
        const go = () => {
          parser.off("drain", go).off("error", go).off("close", go);
          resolve();
        };
        parser.on("drain", go).on("error", go).on("close", go);
      });
    }
  }
  if (!got.failed) parser.end();
}

/** Reads the parser's output: the text, and each attachment through the handler, in order. */
async function consume(parser: Readable, options: ParseOptions, got: Collected) {
  try {
    for await (const data of parser) {
      if (data.type === "text") {
        got.text = clip(data.text);
        got.html = clip(data.html);
      } else if (data.type === "attachment") {
        await attachment(data, options, got);
      }
    }
  } catch (err) {
    got.failed ??= err;
    parser.destroy();
  }
}

async function attachment(
  // deno-lint-ignore no-explicit-any
  data: any,
  options: ParseOptions,
  got: Collected,
) {
  const meta: InboundAttachment = {
    filename: data.filename ?? "attachment",
    contentType: String(data.contentType ?? "application/octet-stream").toLowerCase(),
    size: 0,
  };
  const index = got.attachments.push(meta) - 1;
  const { stream, ended } = passing(data.content);
  try {
    await options.onAttachment?.({
      filename: meta.filename,
      contentType: meta.contentType,
      content: stream,
    }, index);
  } finally {
    // What the handler left unread is skipped (counted, not kept), so the parser goes on.
    if (!stream.locked) await stream.cancel().catch(() => {});
    meta.size = await ended;
    data.release();
  }
}

/**
 * An attachment's Node stream as a web stream that pauses it while the reader is behind; a
 * cancel lets the rest flow by unread. `ended` gives how many bytes passed in all.
 */
function passing(
  content: Readable,
): { stream: ReadableStream<Uint8Array>; ended: Promise<number> } {
  let size = 0;
  let cancelled = false;
  let ended: Promise<number> = Promise.resolve(0);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      ended = new Promise<number>((resolve, reject) => {
        content.on("data", (chunk: Uint8Array) => {
          size += chunk.byteLength;
          if (cancelled) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) content.pause();
        });
        content.once("end", () => {
          if (!cancelled) controller.close();
          resolve(size);
        });
        content.once("error", (err) => {
          if (!cancelled) controller.error(err);
          reject(err);
        });
      });
    },
    pull() {
      content.resume();
    },
    cancel() {
      cancelled = true;
      content.resume();
    },
  }, new CountQueuingStrategy({ highWaterMark: 4 }));
  // Awaited once the handler is done; an error before then is not an unhandled rejection.
  ended.catch(() => {});
  return { stream, ended };
}
const entities: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

/** Text of an HTML body: scripts, styles and tags dropped, blocks as lines, entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head|template)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h[1-6])\b[^>]*>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, code: string) => {
      if (code[0] === "#") {
        const n = code[1] === "x" || code[1] === "X"
          ? parseInt(code.slice(2), 16)
          : parseInt(code.slice(1), 10);
        return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : "";
      }
      return entities[code.toLowerCase()] ?? all;
    })
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
