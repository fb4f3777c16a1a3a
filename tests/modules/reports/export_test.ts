import assert from "node:assert/strict";
import * as XLSX from "xlsx";
import { fixedClock } from "@/clock.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent } from "@tests/helpers/support.ts";
import { aQuery } from "@tests/contract/fixtures.ts";
import { csvStream, neutralise } from "@/modules/reports/export.ts";

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async function exportDesk(env: Record<string, string> = {}) {
  const t = await testApp({ clock: fixedClock("2026-03-31T10:00:00.000Z"), env });
  const desk = await aDesk(t);
  const agent = await anAgent(desk, { name: "=Agent Smith", ready: false });
  const q = (title: string, fields: Parameters<typeof aQuery>[1]) =>
    t.deps.store.queries.create(aQuery(desk.org.id, { title, ...fields }));
  await q('=HYPERLINK("http://evil")', {
    createdAt: "2026-03-29T08:00:00.000Z",
    assignedTo: agent.user.id,
    status: "Resolved",
    firstResponseAt: "2026-03-29T08:30:00.000Z",
    resolvedAt: "2026-03-29T09:30:00.000Z",
    breached: true,
    csat: { rating: 5, comment: null, ratedAt: "2026-03-29T10:00:00.000Z" },
  });
  await q('Comma, "quote"\nand newline', { createdAt: "2026-03-29T12:00:00.000Z" });
  await q("-1+2", { createdAt: "2026-03-30T21:59:00.000Z" });
  // 22:00Z on the 30th is already the 31st in Berlin: outside the period.
  await q("@later", { createdAt: "2026-03-30T22:00:00.000Z" });
  return { t, desk, agent };
}

Deno.test("GET /reports/export?format=xlsx reads back with typed cells and a header", async () => {
  const { t, desk } = await exportDesk();
  try {
    const res = await t.call(
      "GET",
      "/api/v1/reports/export?type=queries&format=xlsx&from=2026-03-29&to=2026-03-30&tz=Europe/Berlin",
      { token: desk.token.TL },
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), xlsxType);
    assert.match(
      res.headers.get("content-disposition")!,
      /attachment; filename="queries-2026-03-29-to-2026-03-30\.xlsx"/,
    );
    const book = XLSX.read(new Uint8Array(await res.arrayBuffer()), {
      type: "array",
      cellDates: true,
    });
    assert.deepEqual(book.SheetNames, ["Queries"]);
    const sheet = book.Sheets.Queries!;
    const rows = XLSX.utils.sheet_to_json<unknown[]>(sheet, { header: 1 });
    assert.equal(rows.length, 4, "a header and three queries");
    const header = rows[0] as string[];
    assert.deepEqual(header.slice(0, 3), ["Reference", "Title", "Status"]);
    const col = (name: string) => XLSX.utils.encode_col(header.indexOf(name));
    assert.deepEqual(sheet[`${col("Title")}2`], {
      t: "s",
      v: '\'=HYPERLINK("http://evil")',
      h: "&apos;=HYPERLINK(&quot;http://evil&quot;)",
      w: '\'=HYPERLINK("http://evil")',
    });
    assert.equal(sheet[`${col("Title")}4`].v, "'-1+2");
    assert.equal(sheet[`${col("Assigned to")}2`].v, "'=Agent Smith");
    const created = sheet[`${col("Created at")}2`];
    assert.equal(created.t, "d", "dates are dates");
    assert.equal(created.w, "2026-03-29 10:00:00", "on Berlin's wall clock (summer time)");
    const firstResponse = sheet[`${col("First response (min)")}2`];
    assert.deepEqual([firstResponse.t, firstResponse.v], ["n", 30]);
    assert.deepEqual([sheet[`${col("Resolution (min)")}2`].v, sheet[`${col("CSAT")}2`].v], [
      90,
      5,
    ]);
    assert.deepEqual([sheet[`${col("SLA breached")}2`].t, sheet[`${col("SLA breached")}2`].v], [
      "b",
      true,
    ]);
    assert.equal(sheet[`${col("Resolved at")}3`], undefined, "empty cells stay empty");
  } finally {
    await t.close();
  }
});

Deno.test("GET /reports/export?format=csv is RFC 4180 UTF-8 with neutralised cells", async () => {
  const { t, desk } = await exportDesk();
  try {
    const res = await t.call(
      "GET",
      "/api/v1/reports/export?type=queries&format=csv&from=2026-03-29&to=2026-03-30&tz=Europe/Berlin",
      { token: desk.token.Admin },
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8; header=present");
    const text = await res.text();
    assert.ok(text.endsWith("\r\n"));
    const lines = text.split("\r\n");
    assert.ok(lines[0]!.startsWith("Reference,Title,Status,Priority,Source,Team,Assigned to,"));
    assert.match(lines[1]!, /^Q-\d{6},"'=HYPERLINK\(""http:\/\/evil""\)",Resolved,/);
    assert.match(
      lines[1]!,
      /,'=Agent Smith,2026-03-29 10:00:00,,2026-03-29 10:30:00,2026-03-29 11:30:00,,/,
    );
    assert.match(lines[1]!, /,30,90,true,5$/);
    assert.match(text, /,"Comma, ""quote""\nand newline",Open,/);
    assert.match(text, /,'-1\+2,/);
    assert.doesNotMatch(text, /@later/);
    const agents = await t.call(
      "GET",
      "/api/v1/reports/export?type=agents&format=csv&from=2026-03-29&to=2026-03-29&tz=UTC",
      { token: desk.token.QA },
    );
    const agentLines = (await agents.text()).split("\r\n");
    assert.ok(agentLines[0]!.startsWith("Agent,Agent id,Team,Assigned,Resolved,Reopened,"));
    assert.match(agentLines[1]!, /^'=Agent Smith,/);
    const teams = await t.call("GET", "/api/v1/reports/export?type=teams", {
      token: desk.token.QA,
    });
    assert.equal(teams.headers.get("content-type"), xlsxType, "xlsx by default");
    const book = XLSX.read(new Uint8Array(await teams.arrayBuffer()), { type: "array" });
    assert.deepEqual(book.SheetNames, ["Teams"]);
  } finally {
    await t.close();
  }
});

Deno.test("GET /reports/export?format=xlsx past EXPORT_XLSX_MAX_ROWS is a clear 400", async () => {
  const { t, desk } = await exportDesk({ EXPORT_XLSX_MAX_ROWS: "2" });
  try {
    const path = "/api/v1/reports/export?type=queries&tz=Europe/Berlin&from=2026-03-29";
    const refused = await t.call("GET", `${path}&to=2026-03-30&format=xlsx`, {
      token: desk.token.TL,
    });
    assert.equal(refused.status, 400);
    const { error } = await refused.json();
    assert.equal(error.code, "BAD_REQUEST");
    assert.equal(
      error.message,
      "An .xlsx export holds at most 2 rows (this one would hold 3): " +
        "ask for format=csv, or a shorter period",
    );
    const csv = await t.call("GET", `${path}&to=2026-03-30&format=csv`, { token: desk.token.TL });
    assert.equal((await csv.text()).trimEnd().split("\r\n").length, 4, "CSV has no cap");
    const day = await t.call("GET", `${path}&to=2026-03-29&format=xlsx`, { token: desk.token.TL });
    assert.equal(day.status, 200, "a shorter period fits");
    const book = XLSX.read(new Uint8Array(await day.arrayBuffer()), { type: "array" });
    assert.equal(XLSX.utils.sheet_to_json(book.Sheets.Queries!).length, 2);
  } finally {
    await t.close();
  }
});

Deno.test("csvStream() pulls one page at a time", async () => {
  let pulled = 0;
  const stream = csvStream({
    columns: [{ header: "n", kind: "number", value: (r: number) => r }],
    async *pages() {
      for (let i = 0; i < 5; i++) {
        pulled++;
        yield [i * 2, i * 2 + 1];
      }
    },
  }, "UTC");
  const reader = stream.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "n\r\n");
  assert.equal(new TextDecoder().decode((await reader.read()).value), "0\r\n1\r\n");
  assert.ok(pulled <= 2, `pulled ${pulled} pages for two chunks`);
  await reader.cancel();
});

Deno.test("neutralise() prefixes what a spreadsheet would run", () => {
  for (const v of ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]) {
    assert.equal(neutralise(v), `'${v}`);
  }
  for (const v of ["plain", "1-2", "a=b", ""]) assert.equal(neutralise(v), v);
});
