// Where an instance's busy time goes, for the benches' SUPPORT_INSPECT=1 runs: samples a Deno
// instance through its inspector and prints the share of busy samples by function, self (the
// function itself running) and total (it or what it called), the top `limit` of each.
//   node hot.mjs <inspector port> <seconds> [limit, default 25]
import { cpuProfile, isIdle, treeOf, where } from "./inspector.mjs";

const [port, seconds, limit = 25] = process.argv.slice(2).map(Number);
const profile = await cpuProfile(port, seconds, 250);
const { nodes, parents } = treeOf(profile);

const self = new Map();
const total = new Map();
let busy = 0;
for (const id of profile.samples) {
  const node = nodes.get(id);
  if (isIdle(node)) continue;
  busy++;
  self.set(where(node), (self.get(where(node)) ?? 0) + 1);
  // A recursive function counts once per sample in its total.
  const seen = new Set();
  for (let at = id; at !== undefined; at = parents.get(at)) {
    const name = where(nodes.get(at));
    if (seen.has(name)) continue;
    seen.add(name);
    total.set(name, (total.get(name) ?? 0) + 1);
  }
}
const all = profile.samples.length;
console.log(
  `${busy} busy samples of ${all} (${((busy / all) * 100).toFixed(1)}% busy)`,
);
const top = (counts, title) => {
  console.log(`--- ${title}`);
  for (
    const [name, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, limit)
  ) {
    console.log(`${((n / busy) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
};
top(self, "self");
top(total, "total");
