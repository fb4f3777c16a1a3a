import { ConfigError, loadConfig } from "@/config.ts";
import { buildDeps } from "@/deps.ts";
import { buildApp } from "@/app.ts";
import { errorMessage } from "@/log.ts";

/** Starts the API: config → deps → app → Deno.serve, and stops it gracefully on a signal. */
async function main(): Promise<void> {
  const config = loadConfig(Deno.env.toObject());
  const deps = await buildDeps(config);
  const app = await buildApp(deps);
  const server = Deno.serve({
    port: config.port,
    hostname: config.host,
    onListen: ({ hostname, port }) =>
      deps.log.info("listening", {
        url: `http://${hostname}:${port}`,
        store: deps.store.kind,
        bus: deps.bus.kind,
      }),
  }, app.fetch);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.log.info("shutting down", { signal });
    const shutdown = server.shutdown();
    await deps.close();
    await shutdown;
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => void stop("SIGINT"));
}

if (import.meta.main) {
  main().catch((err) => {
    console.error(err instanceof ConfigError ? err.message : `Cannot start: ${errorMessage(err)}`);
    Deno.exit(1);
  });
}
