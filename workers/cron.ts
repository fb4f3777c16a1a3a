import { ConfigError, loadConfig } from "@/config.ts";
import { buildDeps, type Deps } from "@/deps.ts";
import { buildJobs, runExclusive } from "@/jobs/jobs.ts";
import { errorMessage } from "@/log.ts";
import { buildServices, type Services } from "@/services.ts";

/**
 * Registers every job with Deno.cron (the API process does this unless CRONS_ENABLED=false;
 * `deno task worker` runs only this). Aborting `signal` stops them.
 */
export function startCrons(deps: Deps, services: Services, signal: AbortSignal): void {
  for (const job of buildJobs(deps, services)) {
    Deno.cron(job.name, job.schedule, { signal }, () => runExclusive(deps, job).then(() => {}));
  }
}

/** `deno task worker`: the jobs alone, in their own process or container. */
async function main(): Promise<void> {
  const deps = await buildDeps(loadConfig(Deno.env.toObject()));
  const services = await buildServices(deps);
  const controller = new AbortController();
  startCrons(deps, services, controller.signal);
  deps.log.info("worker started", { store: deps.store.kind, bus: deps.bus.kind });
  const stop = async () => {
    controller.abort();
    await deps.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void stop());
  Deno.addSignalListener("SIGINT", () => void stop());
}

if (import.meta.main) {
  main().catch((err) => {
    console.error(err instanceof ConfigError ? err.message : `Cannot start: ${errorMessage(err)}`);
    Deno.exit(1);
  });
}
