import type { Deps } from "@/deps.ts";
import { errorMessage } from "@/log.ts";
import type { Services } from "@/services.ts";
import { snapshotReports } from "./snapshot_reports.ts";
import { deliverWebhooks } from "./webhook_deliveries.ts";

/** A scheduled job: a plain async function over deps, run on a cron schedule. */
export interface Job {
  name: string;
  /** Cron expression (UTC), at most once a minute. */
  schedule: string;
  run(): Promise<unknown>;
}

/** Every scheduled job, over the process's own services; each capability adds its own here. */
export function buildJobs(deps: Pick<Deps, "store" | "clock">, services: Services): Job[] {
  const jobs: Job[] = [
    {
      name: "poll-mailboxes",
      schedule: "* * * * *",
      run: async () => {
        const run = await services.email.pollDue();
        services.metrics.mailboxPolls(run);
        return run;
      },
    },
    { name: "email-replies", schedule: "* * * * *", run: () => services.email.sendDue() },
    { name: "sla", schedule: "* * * * *", run: () => services.sla() },
    {
      name: "webhook-deliveries",
      schedule: "* * * * *",
      run: () => deliverWebhooks(services.webhooks),
    },
    {
      name: "requeue-unanswered",
      schedule: "* * * * *",
      run: () => services.routing.requeueUnanswered(),
    },
    // A merge an instance left half-way is completed within minutes.
    {
      name: "settle-contact-merges",
      schedule: "*/5 * * * *",
      run: () => services.contacts.settleMerges(),
    },
    // Hourly, so each organization's midnight (in its own time zone) is covered within the hour.
    {
      name: "report-snapshots",
      schedule: "17 * * * *",
      run: () => snapshotReports(deps, services.reports),
    },
  ];
  // Each run is counted (run, failed) and timed for /metrics.
  return jobs.map((job) => ({ ...job, run: () => services.metrics.job(job.name, job.run) }));
}

/**
 * Runs a job once across every instance: a lease in the shared state (Redis when several
 * instances run) lets only the first instance of each minute run it. Failures are logged.
 */
export async function runExclusive(deps: Deps, job: Job): Promise<boolean> {
  const minute = Math.floor(deps.clock.now().getTime() / 60_000);
  const lease = `job:${job.name}:${minute}`;
  if (!await deps.shared.setIfAbsent(lease, deps.instanceId, 55_000)) return false;
  const started = performance.now();
  try {
    const result = await job.run();
    deps.log.info("job done", {
      job: job.name,
      result,
      durationMs: Math.round(performance.now() - started),
    });
  } catch (err) {
    deps.log.error("job failed", { job: job.name, error: errorMessage(err) });
  }
  return true;
}
