import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import type { Period } from "./service.ts";
import { daysRange, wallClock } from "./time.ts";
import { type SheetCell, workbookStream } from "./xlsx.ts";

/** How a column's values are written: dates as dates, durations as numbers (minutes). */
export type ColumnKind = "text" | "number" | "minutes" | "date" | "boolean";

/** One column of an export: its header, its kind and how a row gives its value. */
export interface Column<R> {
  header: string;
  kind: ColumnKind;
  /** A string, number or boolean; an ISO instant for dates; null for an empty cell. */
  value(row: R): string | number | boolean | null;
}

/** Rows come page by page, so an export never holds every source row at once. */
export interface Table<R> {
  columns: Column<R>[];
  pages(): AsyncIterable<R[]>;
}

/**
 * A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a tab or carriage return
 * before one) gets a leading apostrophe, so it stays text.
 */
export function neutralise(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `YYYY-MM-DD HH:mm:ss` on the wall clock of `tz`. */
export function localDateTime(iso: string, tz: string): string {
  const d = new Date(wallClock(Date.parse(iso), tz));
  return `${d.toISOString().slice(0, 10)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${
    pad(d.getUTCSeconds())
  }`;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvCell(kind: ColumnKind, v: string | number | boolean | null, tz: string): string {
  if (v === null) return "";
  if (kind === "date" && typeof v === "string") return localDateTime(v, tz);
  if (typeof v === "string") return csvField(neutralise(v));
  return String(v);
}

/** RFC 4180 CSV in UTF-8 (CRLF line ends, a header row), produced as the reader pulls it. */
export function csvStream<R>(table: Table<R>, tz: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const line = (cells: string[]) => encoder.encode(`${cells.join(",")}\r\n`);
  let pages: AsyncIterator<R[]> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!pages) {
        pages = table.pages()[Symbol.asyncIterator]();
        controller.enqueue(line(table.columns.map((c) => csvField(neutralise(c.header)))));
        return;
      }
      const next = await pages.next();
      if (next.done) return controller.close();
      const chunk = next.value.map((row) =>
        table.columns.map((c) => csvCell(c.kind, c.value(row), tz)).join(",")
      ).join("\r\n");
      if (chunk) controller.enqueue(encoder.encode(`${chunk}\r\n`));
    },
    async cancel() {
      await pages?.return?.();
    },
  }, { highWaterMark: 1 });
}

const excelEpochDays = 25569;

function xlsxCell(kind: ColumnKind, v: string | number | boolean | null, tz: string): SheetCell {
  if (v === null) return null;
  if (kind === "date" && typeof v === "string") {
    // Excel has no zone: the serial is the wall clock of the report's time zone.
    const serial = wallClock(Date.parse(v), tz) / 86_400_000 + excelEpochDays;
    return { t: "n", v: serial, format: "date" };
  }
  if (typeof v === "number") {
    return kind === "minutes" ? { t: "n", v, format: "decimal" } : { t: "n", v };
  }
  if (typeof v === "boolean") return { t: "b", v };
  return { t: "s", v: neutralise(v) };
}

/** How a workbook is written: the zone of its dates, its sheet's name, its most rows. */
export interface XlsxOptions {
  tz: string;
  sheetName: string;
  maxRows: number;
}

/**
 * An .xlsx workbook with one sheet, streamed as the reader pulls it: a header row, then typed
 * cells (dates as date-formatted numbers, durations in minutes as numbers, booleans), a page of
 * rows at a time. Past `maxRows` rows (rows added since they were counted) the stream fails.
 */
export function xlsxStream<R>(
  table: Table<R>,
  { tz, sheetName, maxRows }: XlsxOptions,
): ReadableStream<Uint8Array> {
  async function* batches(): AsyncGenerator<SheetCell[][]> {
    yield [table.columns.map((c) => ({ t: "s", v: neutralise(c.header) }))];
    let rows = 0;
    for await (const page of table.pages()) {
      rows += page.length;
      if (rows > maxRows) throw tooManyRows(rows, maxRows);
      yield page.map((row) => table.columns.map((col) => xlsxCell(col.kind, col.value(row), tz)));
    }
  }
  return workbookStream({
    name: sheetName,
    widths: table.columns.map((c) => c.kind === "date" ? 20 : Math.max(10, c.header.length + 2)),
    batches: batches(),
  });
}

function tooManyRows(rows: number, max: number): AppError {
  return new AppError(
    "BAD_REQUEST",
    `An .xlsx export holds at most ${max} rows (this one would hold ${rows}): ` +
      "ask for format=csv, or a shorter period",
  );
}

/** Refuses (400) a queries workbook of more than `maxRows` rows, before anything is sent. */
export async function assertXlsxFits(
  deps: Pick<Deps, "store">,
  { orgId, period, maxRows }: {
    orgId: string;
    period: Pick<Period, "from" | "to" | "tz">;
    maxRows: number;
  },
): Promise<void> {
  const rows = await deps.store.reports.createdCount(
    orgId,
    daysRange(period.from, period.to, period.tz),
  );
  if (rows > maxRows) throw tooManyRows(rows, maxRows);
}
