import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The project's own modules reachable from `entry`, each with the project modules it imports. */
async function importGraph(entry: string): Promise<Map<string, string[]>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success, "deno info failed");
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; dependencies?: { code?: Dep; type?: Dep }[] }[];
  };
  type Dep = { specifier?: string };
  const own = (specifier?: string) =>
    specifier?.startsWith("file://") ? relative(root, fileURLToPath(specifier)) : null;
  const graph = new Map<string, string[]>();
  for (const m of info.modules) {
    const from = own(m.specifier);
    if (!from) continue;
    const to = (m.dependencies ?? []).flatMap((
      d,
    ) => [own(d.code?.specifier), own(d.type?.specifier)])
      .filter((p): p is string => p !== null);
    graph.set(from, [...new Set(to)]);
  }
  return graph;
}

/** Whether `from` reaches `to` through imports. */
function reaches(graph: Map<string, string[]>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [...(graph.get(from) ?? [])];
  while (stack.length) {
    const next = stack.pop()!;
    if (next === to) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(graph.get(next) ?? []));
  }
  return false;
}

for (const entry of ["src/main.ts", "workers/cron.ts", "src/cli/seed.ts"]) {
  Deno.test(`imports from ${entry}: the domain never imports http/, nothing but main imports app.ts`, async () => {
    const graph = await importGraph(entry);
    const wrong: string[] = [];
    for (const [from, imports] of graph) {
      const domain = /^src\/(modules|realtime|jobs|store|bus|mail|net)\//.test(from) &&
        !/(routes|schemas)\.ts$/.test(from);
      for (const to of imports) {
        if (domain && to.startsWith("src/http/")) wrong.push(`${from} imports ${to}`);
        if (to === "src/app.ts" && from !== "src/main.ts") wrong.push(`${from} imports ${to}`);
      }
      const http = from === "src/app.ts" || from.startsWith("src/http/");
      if (http && reaches(graph, from, from)) wrong.push(`${from} is on an import cycle`);
    }
    assert.deepEqual(wrong, []);
  });
}
