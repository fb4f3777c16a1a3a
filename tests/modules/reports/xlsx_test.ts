import assert from "node:assert/strict";
import * as XLSX from "xlsx";
import { AppError } from "@/errors.ts";
import { type Column, type Table, xlsxStream } from "@/modules/reports/export.ts";
import { xmlText } from "@/modules/reports/xlsx.ts";

interface Row {
  text: string | null;
  n: number | null;
  minutes: number | null;
  at: string | null;
  flag: boolean | null;
}

const tricky = [
  "plain",
  "<b>&amp; \"quotes\" 'single' </b>",
  "  leading and trailing  ",
  "line\nbreak\r\nand\ttab",
  "control \u0001\u0008\u000b\u001f chars",
  "literal _x0041_ stays",
  "emoji 🎉 and ünïcödé",
  "=1+1",
  "x".repeat(5000),
];

function table(rows: Row[][], extra = 0): Table<Row> {
  const columns: Column<Row>[] = [
    { header: "Text", kind: "text", value: (r) => r.text },
    { header: "Number", kind: "number", value: (r) => r.n },
    { header: "Minutes", kind: "minutes", value: (r) => r.minutes },
    { header: "At", kind: "date", value: (r) => r.at },
    { header: "Flag", kind: "boolean", value: (r) => r.flag },
  ];
  // Past 26 columns, names have two letters (AA, AB…).
  for (let i = 0; i < extra; i++) {
    columns.push({ header: `Extra ${i}`, kind: "text", value: (r) => r.text && `${i}` });
  }
  return {
    columns,
    async *pages() {
      for (const page of rows) yield page;
    },
  };
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const options = { tz: "Europe/Berlin", sheetName: "Queries", maxRows: 1000 };

Deno.test("xlsxStream() writes a workbook SheetJS reads back cell for cell", async () => {
  const rows: Row[] = tricky.map((text, i) => ({
    text,
    n: [0, -1.5, 1e15, 42, 3.14159, 7, 8, 9, 10][i]!,
    minutes: i * 1.25,
    at: i % 2 ? "2026-07-01T10:00:00.000Z" : "2026-01-15T23:30:15.000Z",
    flag: i % 3 === 0,
  }));
  rows.push({ text: null, n: null, minutes: null, at: null, flag: null });
  const pages = [rows.slice(0, 4), [], rows.slice(4)];
  const book = XLSX.read(await bytesOf(xlsxStream(table(pages, 30), options)), {
    type: "array",
    cellDates: true,
    cellNF: true,
  });
  assert.deepEqual(book.SheetNames, ["Queries"]);
  const sheet = book.Sheets.Queries!;
  assert.equal(sheet["!ref"], "A1:AI11", "a header, ten rows, 35 columns");
  const read = XLSX.utils.sheet_to_json<unknown[]>(sheet, { header: 1, raw: true });
  assert.deepEqual(read[0]!.slice(0, 6), ["Text", "Number", "Minutes", "At", "Flag", "Extra 0"]);
  assert.equal(read[0]![34], "Extra 29");
  tricky.forEach((text, i) => {
    const r = i + 2;
    assert.equal(sheet[`A${r}`].t, "s");
    assert.equal(sheet[`A${r}`].v, text === "=1+1" ? "'=1+1" : text, `text of row ${r}`);
    assert.deepEqual([sheet[`B${r}`].t, sheet[`B${r}`].v], ["n", rows[i]!.n]);
    assert.equal(sheet[`C${r}`].v, i * 1.25);
    assert.equal(sheet[`C${r}`].z, "0.00", "minutes with two decimals");
    assert.equal(sheet[`D${r}`].t, "d", "dates are dates");
    assert.equal(
      sheet[`D${r}`].w,
      i % 2 ? "2026-07-01 12:00:00" : "2026-01-16 00:30:15",
      "on the wall clock of the zone",
    );
    assert.deepEqual([sheet[`E${r}`].t, sheet[`E${r}`].v], ["b", i % 3 === 0]);
    assert.equal(sheet[`AI${r}`].v, "29");
  });
  for (const col of ["A", "B", "C", "D", "E", "AI"]) {
    assert.equal(sheet[`${col}11`], undefined, "empty cells stay empty");
  }
});

Deno.test("xlsxStream() reads pages only as the reader pulls, and stops when it cancels", async () => {
  let pulled = 0;
  let closed = false;
  const pages = 200;
  const source = table([]);
  source.pages = async function* () {
    try {
      for (let p = 0; p < pages; p++) {
        pulled++;
        yield Array.from({ length: 500 }, (_, i) => ({
          text: `page ${p} row ${i} ${crypto.randomUUID()}`,
          n: p * 1000 + i,
          minutes: null,
          at: null,
          flag: null,
        }));
      }
    } finally {
      closed = true;
    }
  };
  const reader = xlsxStream(source, { ...options, maxRows: pages * 500 }).getReader();
  // The workbook's small parts come first; then the sheet, as pages are read.
  while (pulled === 0) assert.equal((await reader.read()).done, false);
  for (let i = 0; i < 5; i++) assert.equal((await reader.read()).done, false);
  await reader.cancel();
  assert.ok(pulled > 0 && pulled < pages / 2, `pulled ${pulled} of ${pages} pages`);
  assert.ok(closed, "the page source is closed");
});

Deno.test("xlsxStream() fails with a clear error past maxRows", async () => {
  const row = { text: "a", n: 1, minutes: null, at: null, flag: null };
  const stream = xlsxStream(table([[row, row], [row]]), { ...options, maxRows: 2 });
  await assert.rejects(bytesOf(stream), (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, "BAD_REQUEST");
    assert.match(err.message, /holds at most 2 rows \(this one would hold 3\)/);
    return true;
  });
  const fits = await bytesOf(xlsxStream(table([[row, row]]), { ...options, maxRows: 2 }));
  assert.equal(XLSX.utils.sheet_to_json(XLSX.read(fits).Sheets.Queries!).length, 2);
});

Deno.test("xmlText() escapes markup and what XML cannot carry", () => {
  assert.equal(xmlText("a<b>&c"), "a&lt;b&gt;&amp;c");
  assert.equal(xmlText("\u0000\r\u001f"), "_x0000__x000D__x001F_");
  assert.equal(xmlText("_x0041_"), "_x005F_x0041_");
  assert.equal(xmlText("tab\tand\nline"), "tab\tand\nline");
});
