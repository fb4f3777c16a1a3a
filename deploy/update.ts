/**
 * Brings deploy/deno.json and deploy/deno.lock up to date with the main deno.json and deno.lock
 * (`deno task deploy-lock`): the production import map keeps its own list of packages (what
 * src/main.ts, workers/cron.ts and src/cli/ import at run time, and swagger-ui-dist, which the
 * /docs page reads from node_modules), each at the main map's version; its lockfile is the main
 * lockfile pruned to those packages by `deno install` in a scratch copy, so no version moves.
 * tests/deploy/currency_test.ts fails until this has run after a dependency change.
 */
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const mainConfig = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
const deployPath = join(root, "deploy", "deno.json");
const deploy = JSON.parse(await Deno.readTextFile(deployPath));

/** The main configuration's tasks that the image runs. */
const runtimeTasks = ["start", "worker", "seed", "create-superadmin"];

const imports: Record<string, string> = {};
for (const key of Object.keys(deploy.imports).sort()) {
  const value = mainConfig.imports[key];
  if (value === undefined) throw new Error(`"${key}" is in deploy/deno.json only: remove it there`);
  imports[key] = value;
}
const next = {
  nodeModulesDir: mainConfig.nodeModulesDir,
  unstable: mainConfig.unstable,
  compilerOptions: mainConfig.compilerOptions,
  imports,
  tasks: Object.fromEntries(runtimeTasks.map((t) => [t, mainConfig.tasks[t]])),
};
await Deno.writeTextFile(deployPath, JSON.stringify(next, null, 2) + "\n");

const scratch = await Deno.makeTempDir({ prefix: "chatcrm-deploy-" });
try {
  await Deno.copyFile(deployPath, join(scratch, "deno.json"));
  await Deno.copyFile(join(root, "deno.lock"), join(scratch, "deno.lock"));
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["install"],
    cwd: scratch,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error("deno install failed in the scratch copy");
  await Deno.copyFile(join(scratch, "deno.lock"), join(root, "deploy", "deno.lock"));
  console.log("deploy/deno.json and deploy/deno.lock are up to date");
} finally {
  await Deno.remove(scratch, { recursive: true });
}
