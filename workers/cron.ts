import { ConfigError, loadConfig } from "@/config.ts";
import { buildDeps, type Deps } from "@/deps.ts";
import { buildJobs, type Job, type JobName, jobSchedules, runExclusive } from "@/jobs/jobs.ts";
import { errorMessage } from "@/log.ts";
import { buildServices, type Services } from "@/services.ts";

/** What a cron run needs, once the process has built it; `enabled` false: runs do nothing. */
export interface CronContext {
  deps: Deps;
  services: Services;
  enabled: boolean;
}

/**
 * Registers every job with Deno.cron now, while the entry module is evaluated (Deno Deploy
 * accepts only top-level registrations): each run waits for the process's services, does
 * nothing when crons are off (CRONS_ENABLED=false) or the start failed, and runs its job once
 * across instances (a lease). Aborting `signal` stops them.
 */
export function registerCrons(
  ready: Promise<CronContext>,
  signal: AbortSignal,
  cron: (
    name: string,
    schedule: string,
    options: { signal: AbortSignal },
    run: () => Promise<void>,
  ) => unknown = Deno.cron,
): void {
  let jobs: Promise<{ ctx: CronContext; byName: Map<JobName, Job> } | null> | undefined;
  const built = () =>
    jobs ??= ready.then(
      (ctx) => ({
        ctx,
        byName: new Map(buildJobs(ctx.deps, ctx.services).map((j) => [j.name as JobName, j])),
      }),
      () => null,
    );
  for (const name of Object.keys(jobSchedules) as JobName[]) {
    cron(name, jobSchedules[name], { signal }, async () => {
      const found = await built();
      if (!found?.ctx.enabled) return;
      await runExclusive(found.ctx.deps, found.byName.get(name)!);
    });
  }
}

/** `deno task worker`: the jobs alone, in their own process or container. */
async function main(controller: AbortController): Promise<CronContext> {
  const deps = await buildDeps(loadConfig(Deno.env.toObject()));
  const services = await buildServices(deps);
  deps.store.startBackground?.();
  deps.log.info("worker started", { store: deps.store.kind, bus: deps.bus.kind });
  const stop = async () => {
    controller.abort();
    await deps.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void stop());
  Deno.addSignalListener("SIGINT", () => void stop());
  return { deps, services, enabled: true };
}

if (import.meta.main) {
  const controller = new AbortController();
  const started = main(controller);
  registerCrons(started, controller.signal);
  started.catch((err) => {
    console.error(err instanceof ConfigError ? err.message : `Cannot start: ${errorMessage(err)}`);
    Deno.exit(1);
  });
}
