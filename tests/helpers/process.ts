import { taskArgs } from "./servers.ts";

/** The repository root, where deno.json (import map, `start` task) lives. */
const root = new URL("../../", import.meta.url).pathname;

/** The `start` task's command line, so tests run the process operators run. */
const startArgs = taskArgs("start");

/** `deno run src/main.ts` with only `env` (plus PATH and HOME): nothing leaks in from CI. */
export function startProcess(env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: startArgs,
    cwd: root,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      RUST_BACKTRACE: "0",
      NO_COLOR: "1",
      HOST: "127.0.0.1",
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}
