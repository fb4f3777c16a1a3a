import { taskArgs } from "./servers.ts";

/** The repository root, where deno.json (import map, `start` task) lives. */
const root = new URL("../../", import.meta.url).pathname;

/** The `start` task's command line, so tests run the process operators run. */
const startArgs = taskArgs("start");

/**
 * The environment of a child process a test or bench starts: only what Deno itself needs, then
 * `extra`. Nothing else leaks in: a CI's MONGODB_URI or REDIS_URL must never reach a child that
 * was meant for another store or bus.
 */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  const kept = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((k) => {
    const v = Deno.env.get(k);
    return v === undefined ? [] : [[k, v] as const];
  });
  return { ...Object.fromEntries(kept), RUST_BACKTRACE: "0", NO_COLOR: "1", ...extra };
}

/**
 * `deno run src/main.ts` with only `env` (plus PATH and HOME): nothing leaks in from CI.
 * `denyWrite` runs it with writes to the whole filesystem denied, as a read-only container or
 * an edge platform would.
 */
export function startProcess(
  env: Record<string, string>,
  options: { denyWrite?: boolean } = {},
): Deno.ChildProcess {
  const args = options.denyWrite
    ? startArgs.map((a) => a === "--allow-write" ? "--deny-write" : a)
    : startArgs;
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    clearEnv: true,
    env: childEnv({ HOST: "127.0.0.1", ...env }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}
