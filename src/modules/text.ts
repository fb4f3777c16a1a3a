import { z } from "@hono/zod-openapi";

/**
 * Characters a stored name or title never needs and that mislead whoever reads it: NUL and the
 * other C0/C1 controls, the bidi embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069), which reorder what is shown ("Trojan Source"), and the byte-order mark U+FEFF.
 */
// deno-lint-ignore no-control-regex
const unsafeInLine = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]/;
/** The same in longer text, where tabs and line breaks are fine. */
const unsafeInProse =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069\ufeff]/;

const lineMessage = "must not contain control characters, bidi controls (U+202A–U+202E, " +
  "U+2066–U+2069) or a byte-order mark";

/** A one-line name or title: trimmed, `min` to `max` characters, none of the unsafe ones. */
export function textLine(max: number, min = 1) {
  // Checked before trimming: trim() would silently drop a leading BOM.
  return z.string().refine((v) => !unsafeInLine.test(v), lineMessage).trim().min(min).max(max);
}

/** A longer text (description, answer, reason): tabs and line breaks allowed, no other controls. */
export function textBlock(max: number, min = 1) {
  return z.string().refine(
    (v) => !unsafeInProse.test(v),
    "must not contain NUL or other control characters, bidi controls (U+202A–U+202E, " +
      "U+2066–U+2069) or a byte-order mark",
  ).trim().min(min).max(max);
}

/** Whether a line holds none of the unsafe characters (for values checked outside zod). */
export function isSafeLine(value: string): boolean {
  return !unsafeInLine.test(value);
}

/** Removes the unsafe characters from a line that comes from outside (a mail's subject or sender). */
export function cleanLine(value: string): string {
  return value.replace(new RegExp(unsafeInLine.source, "g"), " ").replace(/\s+/g, " ").trim();
}
