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

/**
 * Every job's name and schedule (UTC cron, at most once a minute), known before any service
 * exists: Deno Deploy needs `Deno.cron` registered at the top level of the entry module.
 */
export const jobSchedules = {
  "poll-mailboxes": "* * * * *",
  "email-replies": "* * * * *",
  "sla": "* * * * *",
  "webhook-deliveries": "* * * * *",
  "requeue-unanswered": "* * * * *",
  // A merge an instance left half-way is completed within minutes.
  "settle-contact-merges": "*/5 * * * *",
  // Hourly, so each organization's midnight (in its own time zone) is covered within the hour.
  "report-snapshots": "17 * * * *",
} as const;

export type JobName = keyof typeof jobSchedules;

/** Every scheduled job, over the process's own services; each capability adds its own here. */
export function buildJobs(deps: Pick<Deps, "store" | "clock">, services: Services): Job[] {
  const runs: Record<JobName, () => Promise<unknown>> = {
    "poll-mailboxes": async () => {
      const run = await services.email.pollDue();
      services.metrics.mailboxPolls(run);
      return run;
    },
    "email-replies": () => services.email.sendDue(),
    "sla": () => services.sla(),
    "webhook-deliveries": () => deliverWebhooks(services.webhooks),
    "requeue-unanswered": () => services.routing.requeueUnanswered(),
    "settle-contact-merges": () => services.contacts.settleMerges(),
    "report-snapshots": () => snapshotReports(deps, services.reports),
  };
  // Each run is counted (run, failed) and timed for /metrics.
  return (Object.keys(jobSchedules) as JobName[]).map((name) => ({
    name,
    schedule: jobSchedules[name],
    run: () => services.metrics.job(name, runs[name]),
  }));
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
