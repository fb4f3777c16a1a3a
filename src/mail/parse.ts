/** What the importer needs from a received mail, as plain text and bytes (no HTML kept). */
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
  attachments: InboundAttachment[];
}

export interface InboundAttachment {
  filename: string;
  contentType: string;
  size: number;
  content: Uint8Array;
}

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

/** Parses raw RFC 822 bytes with mailparser (loaded on first use); HTML becomes text. */
export async function parseMail(source: Uint8Array): Promise<InboundMail> {
  const { simpleParser } = await import("mailparser");
  const { Buffer } = await import("node:buffer");
  const parsed = await simpleParser(Buffer.from(source), {
    skipTextToHtml: true,
    skipImageLinks: true,
    skipHtmlToText: true,
  });
  const from = parsed.from?.value[0];
  const html = typeof parsed.html === "string" ? parsed.html : "";
  const text = parsed.text?.trim() ? parsed.text : htmlToText(html);
  return {
    messageId: parsed.messageId?.trim() || null,
    inReplyTo: ids(parsed.inReplyTo)[0] ?? null,
    references: ids(parsed.references),
    subject: (parsed.subject ?? "").replace(/\s+/g, " ").trim(),
    from: from?.address ? { address: from.address.toLowerCase(), name: from.name ?? "" } : null,
    text: text.replace(/\r\n/g, "\n").trim(),
    autoSubmitted: header(parsed.headers, "auto-submitted"),
    precedence: header(parsed.headers, "precedence"),
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename ?? "attachment",
      contentType: (a.contentType ?? "application/octet-stream").toLowerCase(),
      size: a.size ?? a.content.byteLength,
      content: new Uint8Array(a.content),
    })),
  };
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
