import { Zip, ZipDeflate } from "fflate";

/** A cell of a streamed sheet; numbers may carry a format (a date serial, two decimals). */
export type SheetCell =
  | { t: "s"; v: string }
  | { t: "n"; v: number; format?: "date" | "decimal" }
  | { t: "b"; v: boolean }
  | null;

/** One sheet: its name, its column widths (characters) and its rows, a batch at a time. */
export interface SheetSource {
  name: string;
  widths: number[];
  batches: AsyncIterator<SheetCell[][]>;
}

const main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const pkg = "http://schemas.openxmlformats.org/package/2006/relationships";
const ct = "application/vnd.openxmlformats-officedocument.spreadsheetml";
const head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const formatStyle = { date: 1, decimal: 2 } as const;

const contentTypes =
  `${head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  `<Override PartName="/xl/workbook.xml" ContentType="${ct}.sheet.main+xml"/>` +
  `<Override PartName="/xl/worksheets/sheet1.xml" ContentType="${ct}.worksheet+xml"/>` +
  `<Override PartName="/xl/styles.xml" ContentType="${ct}.styles+xml"/></Types>`;
const rootRels = `${head}<Relationships xmlns="${pkg}"><Relationship Id="rId1" ` +
  `Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
const workbookRels = `${head}<Relationships xmlns="${pkg}">` +
  `<Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/>` +
  `<Relationship Id="rId2" Type="${rel}/styles" Target="styles.xml"/></Relationships>`;
const xf = (numFmtId: number) =>
  `<xf numFmtId="${numFmtId}" fontId="0" fillId="0" borderId="0" xfId="0"` +
  `${numFmtId ? ' applyNumberFormat="1"' : ""}/>`;
// Style 1: dates on the wall clock; style 2: the built-in "0.00" (durations in minutes).
const styles = `${head}<styleSheet xmlns="${main}">` +
  '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>' +
  '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill>' +
  '<fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  `<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
  `<cellXfs count="3">${xf(0)}${xf(164)}${xf(2)}</cellXfs>` +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  "</styleSheet>";

/**
 * Text as XML character data. Characters XML cannot carry (controls, a carriage return that a
 * parser would turn into a line feed) are written as Excel's `_xHHHH_` escapes, and a literal
 * `_xHHHH_` has its underscore escaped so it reads back as written.
 */
export function xmlText(text: string): string {
  return text
    .replace(/_(x[0-9A-Fa-f]{4}_)/g, "_x005F_$1")
    .replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"))
    .replace(
      // deno-lint-ignore no-control-regex -- control characters are what it looks for
      /[\x00-\x08\x0B\x0C\x0D\x0E-\x1F\uFFFE\uFFFF]/g,
      (c) => `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}_`,
    );
}

function columnName(index: number): string {
  let name = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}

function cellXml(cell: SheetCell, ref: string): string {
  if (cell === null) return "";
  if (cell.t === "s") {
    const space = /^\s|\s$/.test(cell.v) ? ' xml:space="preserve"' : "";
    return `<c r="${ref}" t="inlineStr"><is><t${space}>${xmlText(cell.v)}</t></is></c>`;
  }
  if (cell.t === "b") return `<c r="${ref}" t="b"><v>${cell.v ? 1 : 0}</v></c>`;
  if (!Number.isFinite(cell.v)) return "";
  const style = cell.format ? ` s="${formatStyle[cell.format]}"` : "";
  return `<c r="${ref}"${style}><v>${cell.v}</v></c>`;
}

function sheetStart(widths: number[]): string {
  const cols = widths.map((w, i) =>
    `<col min="${i + 1}" max="${i + 1}" width="${w}" customWidth="1"/>`
  ).join("");
  return `${head}<worksheet xmlns="${main}" xmlns:r="${rel}">` +
    `${cols ? `<cols>${cols}</cols>` : ""}<sheetData>`;
}

/** A ZIP (the .xlsx package) written as its parts are pushed; chunks wait in `out`. */
function zipWriter() {
  const out: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else out.push(chunk);
  });
  const encoder = new TextEncoder();
  const file = (name: string, text?: string) => {
    const entry = new ZipDeflate(name, { level: 6 });
    zip.add(entry);
    if (text !== undefined) entry.push(encoder.encode(text), true);
    return (part: string, final = false) => entry.push(encoder.encode(part), final);
  };
  const take = () => {
    if (failure) throw failure;
    return out.splice(0);
  };
  return { zip, file, take };
}

/**
 * An .xlsx workbook of one sheet, produced as the reader pulls it: each batch of rows becomes
 * sheet XML and goes through a streaming deflate, so memory holds one batch and the
 * compressor's window, never the whole sheet (SheetJS builds the workbook, its XML and the ZIP
 * in memory: 0.9 GB at 100,000 rows). Strings are inline, so no shared-string table grows.
 */
export function workbookStream(sheet: SheetSource): ReadableStream<Uint8Array> {
  const { zip, file, take } = zipWriter();
  const cols = sheet.widths.map((_, i) => columnName(i));
  let push: ((part: string, final?: boolean) => void) | undefined;
  let row = 0;
  const step = async () => {
    if (!push) {
      file("[Content_Types].xml", contentTypes);
      file("_rels/.rels", rootRels);
      file(
        "xl/workbook.xml",
        `${head}<workbook xmlns="${main}" xmlns:r="${rel}"><sheets><sheet name="${
          xmlText(sheet.name).replaceAll('"', "&quot;")
        }" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      );
      file("xl/_rels/workbook.xml.rels", workbookRels);
      file("xl/styles.xml", styles);
      push = file("xl/worksheets/sheet1.xml");
      push(sheetStart(sheet.widths));
      return false;
    }
    const next = await sheet.batches.next();
    if (next.done) {
      push("</sheetData></worksheet>", true);
      zip.end();
      return true;
    }
    let xml = "";
    for (const cells of next.value) {
      const r = ++row;
      xml += `<row r="${r}">`;
      for (let c = 0; c < cells.length; c++) xml += cellXml(cells[c] ?? null, `${cols[c]}${r}`);
      xml += "</row>";
    }
    push(xml);
    return false;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A batch may leave everything in the compressor's window: go on until bytes come out.
      let done = false;
      let chunks: Uint8Array[] = [];
      while (!done && !chunks.length) {
        done = await step();
        chunks = take();
      }
      for (const chunk of chunks) controller.enqueue(chunk);
      if (done) controller.close();
    },
    async cancel() {
      zip.terminate();
      await sheet.batches.return?.();
    },
  }, { highWaterMark: 1 });
}
