import { childEnv } from "@tests/helpers/process.ts";
/** Runs a script of src/cli in its own process, as `deno task` would, with a test env. */
export async function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(`../../src/cli/${script}`, import.meta.url).pathname, ...args],
    // Only what Deno itself needs: an inherited MONGODB_URI or REDIS_URL must never reach
    // a script that may empty its store.
    clearEnv: true,
    env: childEnv({ BCRYPT_COST: "4", ...env }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}
