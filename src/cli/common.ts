import { loadConfig } from "@/config.ts";
import { buildDeps, type Deps } from "@/deps.ts";

/** Thrown for bad input or state: main prints the message as one line and exits 1. */
export class CliError extends Error {
  override name = "CliError";
}

/** Deps for a script: the configured store, quiet logs, no crons. */
export async function cliDeps(): Promise<Deps> {
  const config = loadConfig({ LOG_LEVEL: "warn", ...Deno.env.toObject() });
  return await buildDeps(config);
}

/** Runs a script body: CliError and ConfigError become one line on stderr and exit code 1. */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    const known = err instanceof Error &&
      ["CliError", "ConfigError", "AppError"].includes(err.name);
    console.error(known ? (err as Error).message : `Unexpected error: ${String(err)}`);
    Deno.exit(1);
  }
}

/** Reads a line from the terminal; with `hidden`, nothing is echoed (for passwords). */
export async function ask(question: string, hidden = false): Promise<string> {
  if (!hidden) return (prompt(question) ?? "").trim();
  const encoder = new TextEncoder();
  // Raw mode before the question: whatever is typed after it is never echoed.
  Deno.stdin.setRaw(true);
  const chars: number[] = [];
  const buf = new Uint8Array(1);
  try {
    await Deno.stdout.write(encoder.encode(`${question} `));
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      const b = buf[0]!;
      if (b === 3) throw new CliError("Cancelled");
      if (b === 13 || b === 10) break;
      if (b === 127 || b === 8) chars.pop();
      else chars.push(b);
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stdout.write(encoder.encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(chars));
}
