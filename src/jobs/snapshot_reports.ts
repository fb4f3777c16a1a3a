import { activeOrganizations } from "@/modules/organizations/repository.ts";
import type { Deps } from "@/deps.ts";
import type { ReportService } from "@/modules/reports/service.ts";
import { addDays, localDay } from "@/modules/reports/time.ts";

/** How many finished days back a run fills in, so a missed run (or a new deploy) catches up. */
export const snapshotBackfillDays = 7;

/**
 * Writes the daily report snapshot of every active organization for each of its last finished
 * local days (in its own time zone) that has none yet. Safe to run often and on several
 * instances: a day is computed once its snapshot is missing, and written once.
 */
export async function snapshotReports(
  deps: Pick<Deps, "store" | "clock">,
  reports: Pick<ReportService, "snapshotDay">,
): Promise<{ organizations: number; written: number }> {
  let organizations = 0;
  let written = 0;
  for await (const org of activeOrganizations(deps.store.organizations)) {
    organizations++;
    const tz = org.settings.timezone || "UTC";
    const today = localDay(deps.clock.now().getTime(), tz);
    for (let back = snapshotBackfillDays; back >= 1; back--) {
      if (await reports.snapshotDay(org.id, addDays(today, -back), tz)) written++;
    }
  }
  return { organizations, written };
}
