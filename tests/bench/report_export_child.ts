/**
 * Runs one report export in its own process, so its peak memory is its own:
 * `deno run -A tests/bench/report_export_child.ts DB_PATH ORG_ID csv|xlsx FROM TO`
 * prints `{"ms","bytes","baseKb","peakKb"}`.
 */
import { openStore } from "@/store/store.ts";
import { systemClock } from "@/clock.ts";
import { createReportService } from "@/modules/reports/service.ts";
import { exportTable } from "@/modules/reports/tables.ts";
import { csvStream, xlsxStream } from "@/modules/reports/export.ts";

async function statusKb(field: string): Promise<number> {
  const text = await Deno.readTextFile("/proc/self/status");
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
}

const [path, orgId, format, from, to] = Deno.args as [string, string, string, string, string];
const store = await openStore({ kind: "sqlite", path });
const reports = createReportService({ store, clock: systemClock });
const period = { from, to, tz: "Europe/Berlin" };
const table = exportTable({ store }, reports, "queries", orgId, period);
const baseKb = await statusKb("VmRSS");
const started = performance.now();
let bytes = 0;
const stream = format === "csv"
  ? csvStream(table, period.tz)
  : xlsxStream(table, { tz: period.tz, sheetName: "Queries", maxRows: 100_000 });
for await (const chunk of stream) bytes += chunk.byteLength;
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, bytes, baseKb, peakKb: await statusKb("VmHWM") }));
await store.close();
