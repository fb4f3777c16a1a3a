import { join } from "node:path";
import { fixedClock } from "@/clock.ts";
import { snapshotReports } from "@/jobs/snapshot_reports.ts";
import { createReportService } from "@/modules/reports/service.ts";
import { addDays, localDay } from "@/modules/reports/time.ts";
import { openStore, type Store } from "@/store/store.ts";
import { ferretdbBinary, startMongo } from "@tests/helpers/mongo.ts";
import type { Bench, BenchRow } from "./main.ts";
import { benchOrganization, benchQueries, loadMongo, loadSqlite } from "./report_data.ts";

const tz = "Europe/Berlin";
const sizes = [10_000, 100_000];

async function timed(runs: number, fn: () => Promise<unknown>): Promise<number> {
  if (runs > 1) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const ms = (v: number) => (v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);

/** Dashboard, agent reports (live and from snapshots) and trends on one seeded store. */
async function measure(
  store: Store,
  label: string,
  orgId: string,
  now: number,
  runs: number,
): Promise<BenchRow[]> {
  const clock = fixedClock(new Date(now));
  const reports = createReportService({ store, clock });
  const today = localDay(now, tz);
  const week = { from: addDays(today, -6), to: today, tz };
  const month = { from: addDays(today, -29), to: today, tz };
  const rows: BenchRow[] = [];
  const row = (benchmark: string, v: number, target?: string, detail?: string) => {
    console.error(`  ${label}: ${benchmark}: ${ms(v)}`);
    rows.push({
      benchmark: `${label}: ${benchmark}`,
      result: ms(v),
      ...(target ? { target } : {}),
      ...(detail ? { detail } : {}),
    });
  };
  const sqlite = store.kind === "sqlite" && label.includes("100000");
  row(
    "GET dashboard (service)",
    await timed(runs, () => reports.dashboard(orgId, tz)),
    sqlite ? "< 100 ms" : undefined,
    `median of ${runs}`,
  );
  row("agents report, 7 days, live", await timed(runs, () => reports.agents(orgId, week)));
  row("trends, 30 days, live", await timed(runs, () => reports.trends(orgId, month)));
  // FerretDB scans the whole collection for every query: the longer figures only at 10,000.
  if (store.kind === "mongo" && label.includes("100000")) return rows;
  row("agents report, 30 days, live", await timed(runs, () => reports.agents(orgId, month)));
  const t0 = performance.now();
  const job = await snapshotReports({ store, clock }, reports);
  row("snapshot job (7 past days)", performance.now() - t0, undefined, `${job.written} written`);
  row(
    "agents report, 7 days, 6 from snapshots",
    await timed(runs, () => reports.agents(orgId, week)),
  );
  row(
    "teams report, 7 days, 6 from snapshots",
    await timed(runs, () => reports.teams(orgId, week)),
  );
  row("trends, 30 days, 6 from snapshots", await timed(runs, () => reports.trends(orgId, month)));
  return rows;
}

async function sqliteRows(n: number, now: number): Promise<BenchRow[]> {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-bench-reports-" });
  const path = join(dir, "bench.db");
  const store = await openStore({ kind: "sqlite", path });
  try {
    const org = await benchOrganization(store, now);
    const t0 = performance.now();
    loadSqlite(path, benchQueries(org, n, now));
    const seeded = performance.now() - t0;
    const rows = await measure(store, `SQLite ${n}`, org.orgId, now, 5);
    rows[0]!.detail += `; seeded in ${Math.round(seeded)} ms`;
    if (n === sizes.at(-1)) rows.push(...await exportRows(path, org.orgId, now));
    return rows;
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function mongoRows(n: number, now: number): Promise<BenchRow[]> {
  const mongo = await startMongo();
  const store = await openStore({ kind: "mongo", uri: mongo.uri, db: mongo.db });
  try {
    const org = await benchOrganization(store, now);
    const t0 = performance.now();
    await loadMongo(mongo.uri, mongo.db, benchQueries(org, n, now));
    const seeded = performance.now() - t0;
    const label = `${Deno.env.get("MONGODB_URI") ? "MongoDB" : "FerretDB"} ${n}`;
    const rows = await measure(store, label, org.orgId, now, n > 10_000 ? 1 : 3);
    rows[0]!.detail += `; seeded in ${Math.round(seeded / 1000)} s`;
    return rows;
  } finally {
    await store.close();
    await mongo.stop();
  }
}

/** Export of every query of 30 days (about n rows) in a child process: time and peak memory. */
async function exportRows(path: string, orgId: string, now: number): Promise<BenchRow[]> {
  const today = localDay(now, tz);
  const rows: BenchRow[] = [];
  const child = async (format: string, from: string, v8: string[] = []) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...v8,
        new URL("./report_export_child.ts", import.meta.url).pathname,
        path,
        orgId,
        format,
        from,
        today,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return null;
    return JSON.parse(new TextDecoder().decode(out.stdout));
  };
  const spans = [["3 days", addDays(today, -2)], ["30 days", addDays(today, -30)]] as const;
  for (const format of ["csv", "xlsx"]) {
    for (const [span, from] of spans) {
      const r = await child(format, from);
      const above = r && Math.round((r.peakKb - r.baseKb) / 1024);
      // The 30-day export is the whole seed (about 100,000 rows, the .xlsx cap): its peak is the
      // bound the issue sets.
      const bounded = format === "xlsx" && span === "30 days";
      rows.push({
        benchmark: `SQLite export queries ${format}, ${span}` +
          (bounded ? ": peak RSS above the idle process" : ""),
        result: r ? (bounded ? `+${above} MB` : ms(r.ms)) : "failed",
        ...(bounded ? { target: "≤ +256 MB" } : {}),
        detail: r
          ? `${(r.bytes / 1e6).toFixed(1)} MB file in ${ms(r.ms)}; peak RSS ` +
            `${Math.round(r.peakKb / 1024)} MB, +${above} MB above the process before the export`
          : "the child process failed",
      });
    }
  }
  // Both streamed exports need no more heap than a page: they complete under a small V8 heap cap.
  for (const [format, heap] of [["csv", 48], ["xlsx", 64]] as const) {
    const from = addDays(today, -30);
    const capped = await child(format, from, [`--v8-flags=--max-old-space-size=${heap}`]);
    rows.push({
      benchmark: `SQLite export queries ${format}, 30 days, V8 heap capped at ${heap} MB`,
      result: capped ? ms(capped.ms) : "failed (out of memory)",
      ...(capped ? { detail: `peak RSS ${Math.round(capped.peakKb / 1024)} MB` } : {}),
    });
  }
  return rows;
}

/** Report latency at 10,000 and 100,000 queries of one organization on SQLite, and exports. */
export const reportsSqliteBench: Bench = {
  name: "reports-sqlite",
  async run() {
    const now = Date.now();
    const rows: BenchRow[] = [];
    for (const n of sizes) rows.push(...await sqliteRows(n, now));
    return rows;
  },
};

/** The same on the MongoDB-compatible server (MONGODB_URI, or a FerretDB it starts). */
export const reportsMongoBench: Bench = {
  name: "reports-mongo",
  async run() {
    if (!Deno.env.get("MONGODB_URI") && !ferretdbBinary) {
      return [{ benchmark: "FerretDB reports", result: "skipped", detail: "no ferretdb binary" }];
    }
    const now = Date.now();
    const rows: BenchRow[] = [];
    for (const n of sizes) rows.push(...await mongoRows(n, now));
    return rows;
  },
};
