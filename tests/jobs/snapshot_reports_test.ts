import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { snapshotBackfillDays, snapshotReports } from "@/jobs/snapshot_reports.ts";
import { createReportService } from "@/modules/reports/service.ts";
import { testDeps } from "@tests/helpers/app.ts";
import { anOrganization, aQuery } from "@tests/contract/fixtures.ts";

Deno.test("snapshotReports() writes each finished local day once per organization", async () => {
  const deps = await testDeps({ clock: fixedClock("2026-03-30T00:30:00.000Z") });
  const reports = createReportService(deps);
  try {
    const berlin = anOrganization();
    berlin.settings.timezone = "Europe/Berlin";
    await deps.store.organizations.create(berlin);
    const la = anOrganization();
    la.settings.timezone = "America/Los_Angeles";
    await deps.store.organizations.create(la);
    await deps.store.queries.create(aQuery(berlin.id, { createdAt: "2026-03-29T10:00:00.000Z" }));
    const first = await snapshotReports(deps, reports);
    assert.ok(first.organizations >= 2);
    assert.ok(first.written >= 2 * snapshotBackfillDays);
    assert.deepEqual(await snapshotReports(deps, reports), {
      organizations: first.organizations,
      written: 0,
    });
    const snapshots = deps.store.documents("report_snapshots");
    // 00:30Z on the 30th: the 30th has begun in Berlin, LA is still on the 29th.
    const day29 = await snapshots.get(berlin.id, `${berlin.id}:Europe/Berlin:2026-03-29`);
    assert.equal(day29?.stats.org.created, 1);
    assert.equal(await snapshots.get(la.id, `${la.id}:America/Los_Angeles:2026-03-29`), null);
    assert.ok(await snapshots.get(la.id, `${la.id}:America/Los_Angeles:2026-03-28`));
  } finally {
    await deps.close();
  }
});
