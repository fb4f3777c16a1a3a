import assert from "node:assert/strict";
import { childEnv } from "./process.ts";
import { freePort, taskArgs } from "./servers.ts";

/**
 * A small heap, and a young generation that is collected often, so the chunks a stream has
 * passed on are freed soon: then the peak shows what the server holds, not what it has not yet
 * collected. (Without these flags the peak grows by about 1.5 times what was streamed through.)
 */
export const smallHeapFlags = "--v8-flags=--max-old-space-size=48,--max-semi-space-size=1";

async function statusKb(pid: number, field: "VmHWM" | "VmRSS"): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1];
  assert.ok(kb, `${field} in /proc/<pid>/status`);
  return Number(kb) * 1024;
}

/** The process's peak resident memory so far (VmHWM), in bytes. */
export function peakRss(pid: number): Promise<number> {
  return statusKb(pid, "VmHWM");
}

/**
 * Starts a new peak (Linux: `5` into /proc/<pid>/clear_refs sets VmHWM to the current RSS) and
 * answers that resident size, so `peakRss(pid) - (await resetPeakRss(pid))` is the growth of
 * what follows alone.
 */
export async function resetPeakRss(pid: number): Promise<number> {
  await Deno.writeTextFile(`/proc/${pid}/clear_refs`, "5");
  return await statusKb(pid, "VmRSS");
}

/** `deno task start` on a free port with a small heap, ready to serve; `stop` ends it. */
export async function startSmallHeapApi(env: Record<string, string>) {
  const port = freePort();
  const [run, ...rest] = taskArgs("start");
  const child = new Deno.Command(Deno.execPath(), {
    args: [run!, smallHeapFlags, ...rest],
    cwd: new URL("../..", import.meta.url).pathname,
    clearEnv: true,
    env: childEnv({
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      CRONS_ENABLED: "false",
      BCRYPT_COST: "4",
      ...env,
    }),
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
    await res?.body?.cancel();
    if (res?.status === 200) break;
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      await child.status;
      throw new Error(`port ${port} was not ready in 30 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
