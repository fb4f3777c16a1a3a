import { join } from "node:path";

/** Under CI a missing server is a failure, not a skip. */
export const inCI = Deno.env.get("CI") === "true";

/** Full path of an executable on PATH or in `extraDirs`, or null. */
export function findBinary(name: string, extraDirs: string[] = []): string | null {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/**
 * True when tests needing `what` must be skipped: it is missing and this is not CI. Prints
 * one notice per missing thing. Under CI=true it is never skipped, so the test fails loudly.
 */
export function skipWithout(what: string, available: boolean): boolean {
  if (available || inCI) return false;
  // Test files run in workers of one process: the environment, unlike module state, is shared
  // by all of them, so the notice is printed once per run rather than once per file.
  const key = `CHATCRM_TEST_NOTICE_${what.replace(/\W+/g, "_").toUpperCase()}`;
  if (!Deno.env.get(key)) {
    Deno.env.set(key, "1");
    console.warn(`notice: ${what} is not installed here; skipping the tests that need it`);
  }
  return true;
}

/** A free TCP port on loopback. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Resolves once something accepts TCP connections on the port; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Nothing listens on port ${port}: ${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** A child process started by a test, stopped with SIGTERM and awaited. */
export interface Child {
  process: Deno.ChildProcess;
  /** Sends SIGTERM without waiting (for unload handlers, which cannot await). */
  kill(): void;
  stop(): Promise<void>;
}

export function spawn(command: string, args: string[], options: { cwd?: string } = {}): Child {
  const process = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).spawn();
  let stopped: Promise<void> | undefined;
  const kill = () => {
    try {
      process.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  return {
    process,
    kill,
    stop() {
      stopped ??= (async () => {
        kill();
        await process.status;
      })();
      return stopped;
    },
  };
}

/**
 * The arguments of a deno.json task that runs a script (`deno run … src/main.ts`), without the
 * leading `deno`, so tests and benchmarks start the process exactly as operators do.
 */
export function taskArgs(name: string): string[] {
  const config = JSON.parse(
    Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)),
  ) as { tasks: Record<string, string> };
  const task = config.tasks[name];
  if (!task?.startsWith("deno ")) throw new Error(`No deno task "${name}" that runs deno`);
  return task.split(/\s+/).slice(1);
}
