/**
 * The seed's stacks the benchmarks compare against (Node + Socket.IO, Node + Express, both on
 * better-sqlite3), kept in tests/bench/socketio/ with their own package.json and lockfile, and
 * installed there with npm on first use.
 */
import { findBinary } from "@tests/helpers/servers.ts";

export const peersDir = new URL("./socketio/", import.meta.url).pathname;

/** Runs `npm ci` in the peers' directory when any of its dependencies is missing. */
export async function ensurePeers(): Promise<void> {
  const { dependencies } = JSON.parse(await Deno.readTextFile(`${peersDir}package.json`)) as {
    dependencies: Record<string, string>;
  };
  const missing: string[] = [];
  for (const name of Object.keys(dependencies)) {
    try {
      await Deno.stat(`${peersDir}node_modules/${name}/package.json`);
    } catch {
      missing.push(name);
    }
  }
  if (!missing.length) return;
  const npm = findBinary("npm", ["/usr/bin", "/usr/local/bin"]);
  if (!npm) throw new Error("npm is needed to install the seed's stacks (tests/bench/socketio/)");
  console.error(`bench: npm ci in tests/bench/socketio (missing ${missing.join(", ")}) …`);
  const { code, stderr } = await new Deno.Command(npm, {
    args: ["ci", "--no-audit", "--no-fund"],
    cwd: peersDir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`npm ci failed: ${new TextDecoder().decode(stderr)}`);
}
