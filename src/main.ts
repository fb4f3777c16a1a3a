import { ensureEnvMailbox } from "@/modules/email/env_mailbox.ts";
import { type Config, ConfigError, loadConfig } from "@/config.ts";
import { buildDeps, type Deps } from "@/deps.ts";
import { buildApp } from "@/app.ts";
import { buildServices } from "@/services.ts";
import { errorMessage, type Logger } from "@/log.ts";
import { type CronContext, registerCrons } from "../workers/cron.ts";

/**
 * The last resort: an error nobody caught (a rejected promise nobody awaits, a throw in a timer
 * or listener) is logged with its stack and the process keeps serving, instead of exiting.
 */
export function guardProcess(log: Logger): void {
  const report = (msg: string, err: unknown) =>
    log.error(msg, {
      error: errorMessage(err),
      ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
    });
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    report("unhandled rejection", e.reason);
  });
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    report("uncaught error", e.error ?? e.message);
  });
}

/** Deno.serve, with a port that is taken explained in words that name PORT. */
function serveOrExplain(
  config: Config,
  options: Deno.ServeTcpOptions,
  handler: Deno.ServeHandler,
): Deno.HttpServer {
  try {
    return Deno.serve(options, handler);
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    throw new ConfigError(
      `Port ${config.port} on ${config.host} is already in use: stop what listens there or set ` +
        "PORT to a free port",
    );
  }
}

/** On a store with no organization yet, says how to get one (the first start of a new user). */
async function firstRunHint(deps: Deps): Promise<void> {
  const empty = await deps.store.organizations.list({}, { page: 1, limit: 1 })
    .then((r) => r.total === 0, () => false);
  if (empty) {
    deps.log.info("no organization yet", {
      hint: "`deno task seed` makes a demo organization; `deno task create-superadmin` the " +
        "platform's SuperAdmin",
    });
  }
}

/**
 * Starts the API: config → deps → services → app → Deno.serve (and the crons, on the same
 * services), and stops it gracefully on a signal.
 */
export async function main(crons = new AbortController()): Promise<CronContext> {
  const config = loadConfig(Deno.env.toObject());
  const deps = await buildDeps(config);
  guardProcess(deps.log);
  const services = await buildServices(deps);
  await ensureEnvMailbox(deps, services.email);
  const app = buildApp(deps, services);
  // Before the first request: started mid-traffic, the store's background work stalls sockets.
  deps.store.startBackground?.();
  const server = serveOrExplain(config, {
    port: config.port,
    hostname: config.host,
    onListen: ({ hostname, port }) => {
      const url = `http://${hostname === "0.0.0.0" ? "localhost" : hostname}:${port}`;
      deps.log.info("listening", {
        url,
        docs: `${url}/docs`,
        store: deps.store.kind,
        bus: deps.bus.kind,
      });
      void firstRunHint(deps);
    },
  }, app.fetch);
  deps.onShutdown(() => crons.abort());

  // Stop accepting, close sockets (1001) and jobs, let in-flight requests finish (at most
  // `graceMs`), then close the adapters.
  const graceMs = 10_000;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.log.info("shutting down", { signal });
    const finished = server.shutdown();
    await deps.drain();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = await Promise.race([
      finished.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), graceMs)),
    ]);
    clearTimeout(timer);
    if (late) deps.log.warn("requests still running after the grace period", { graceMs });
    await deps.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => void stop("SIGINT"));
  return { deps, services, enabled: config.cronsEnabled };
}

if (import.meta.main) {
  // The crons are registered here, at the top level, as Deno Deploy requires; they wait for the
  // services `main` builds and do nothing with CRONS_ENABLED=false.
  const crons = new AbortController();
  const started = main(crons);
  registerCrons(started, crons.signal);
  started.catch((err) => {
    console.error(err instanceof ConfigError ? err.message : `Cannot start: ${errorMessage(err)}`);
    Deno.exit(1);
  });
}
