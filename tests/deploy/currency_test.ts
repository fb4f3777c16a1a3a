import assert from "node:assert/strict";
import { join } from "node:path";

/**
 * The production image installs deploy/deno.json and deploy/deno.lock, not the main ones (see
 * the Dockerfile). These tests fail when the two drift apart: `deno task deploy-lock` brings the
 * production pair up to date.
 */
const root = new URL("../..", import.meta.url).pathname;
const readJson = async (path: string) => JSON.parse(await Deno.readTextFile(join(root, path)));
const main = await readJson("deno.json");
const deploy = await readJson("deploy/deno.json");
const mainLock = await readJson("deno.lock");
const deployLock = await readJson("deploy/deno.lock");

/** What the image runs: the API, the worker and every script. */
const entries = [
  "src/main.ts",
  "workers/cron.ts",
  ...[...Deno.readDirSync(join(root, "src/cli"))]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => `src/cli/${e.name}`)
    .sort(),
];
const fix = "run `deno task deploy-lock`";

Deno.test("deploy/deno.json takes every package, task and option at the main deno.json's value", () => {
  for (const [key, value] of Object.entries(deploy.imports)) {
    assert.equal(value, main.imports[key], `import "${key}" differs from deno.json: ${fix}`);
  }
  for (const [task, command] of Object.entries(deploy.tasks)) {
    assert.equal(command, main.tasks[task], `task "${task}" differs from deno.json: ${fix}`);
  }
  assert.deepEqual(deploy.compilerOptions, main.compilerOptions);
  assert.deepEqual(deploy.unstable, main.unstable);
  assert.equal(deploy.nodeModulesDir, main.nodeModulesDir);
  for (const task of ["start", "worker", "seed", "create-superadmin"]) {
    assert.ok(deploy.tasks[task], `the image runs "deno task ${task}"`);
  }
});

Deno.test("deploy/deno.lock resolves what it shares with deno.lock to the same versions", () => {
  const wanted = Object.values(deploy.imports).filter((v) => String(v).startsWith("npm:"))
    .map((v) => String(v).replace(/^npm:\/?/, "npm:").replace(/\/$/, "")).sort();
  assert.deepEqual(
    [...new Set(deployLock.workspace.dependencies)].sort(),
    [...new Set(wanted)].sort(),
    `deploy/deno.lock is not the lock of deploy/deno.json: ${fix}`,
  );
  for (const [specifier, version] of Object.entries(deployLock.specifiers)) {
    assert.equal(version, mainLock.specifiers[specifier], `${specifier}: ${fix}`);
  }
  for (const [name, entry] of Object.entries<{ integrity?: string }>(deployLock.npm)) {
    assert.ok(mainLock.npm[name], `${name} is in deploy/deno.lock only: ${fix}`);
    assert.equal(entry.integrity, mainLock.npm[name].integrity, name);
  }
});

/** The bare specifiers (package imports) of every local module reachable from `entry`. */
async function packageImports(entry: string): Promise<Set<string>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string; dependencies?: { specifier: string }[] }[];
  };
  const found = new Set<string>();
  for (const module of graph.modules) {
    if (!module.specifier.startsWith("file:")) continue;
    for (const { specifier } of module.dependencies ?? []) {
      if (!/^(\.|\/|@\/|node:|npm:|file:)/.test(specifier)) found.add(specifier);
    }
  }
  return found;
}

Deno.test("every package the entry points import (statically or lazily) is in deploy/deno.json", async () => {
  const keys = Object.keys(deploy.imports);
  const resolvable = (s: string) =>
    keys.some((k) => k === s || (k.endsWith("/") && s.startsWith(k)));
  for (const entry of entries) {
    for (const specifier of await packageImports(entry)) {
      assert.ok(
        resolvable(specifier),
        `${entry} imports "${specifier}": add it to deploy/deno.json`,
      );
    }
  }
  // Read from node_modules at run time rather than imported.
  for (const file of ["src/http/docs.ts"]) {
    const text = await Deno.readTextFile(join(root, file));
    for (const [, name] of text.matchAll(/node_modules\/((?:@[^/]+\/)?[^/"]+)\//g)) {
      assert.ok(
        keys.includes(name!),
        `${file} reads node_modules/${name}: add it to deploy/deno.json`,
      );
    }
  }
});

Deno.test({
  name:
    "the image's install steps succeed with deploy/ alone: frozen install and cache of each entry",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chatcrm-image-" });
    try {
      await Deno.copyFile(join(root, "deploy/deno.json"), join(dir, "deno.json"));
      await Deno.copyFile(join(root, "deploy/deno.lock"), join(dir, "deno.lock"));
      for (const sub of ["src", "workers"]) {
        const { code } = await new Deno.Command("cp", { args: ["-r", join(root, sub), dir] })
          .output();
        assert.equal(code, 0);
      }
      const run = async (args: string[]) => {
        const out = await new Deno.Command(Deno.execPath(), {
          args,
          cwd: dir,
          env: { NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 0, `deno ${args.join(" ")}: ${text}`);
      };
      await run(["install", "--frozen"]);
      await run(["cache", "--frozen", ...entries]);
      const installed = (await Array.fromAsync(Deno.readDir(join(dir, "node_modules"))))
        .map((e) => e.name);
      for (const testOnly of ["smtp-server", "playwright-core", "@redocly", "@types", "esbuild"]) {
        assert.ok(!installed.includes(testOnly), `${testOnly} is not in the image`);
      }
      const swagger = await Deno.stat(join(dir, "node_modules/swagger-ui-dist/swagger-ui.css"));
      assert.ok(swagger.isFile, "/docs finds its assets");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
