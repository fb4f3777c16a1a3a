// Finds where an instance's event loop stalls, for the benches' SUPPORT_INSPECT=1 runs: attaches
// to a Deno inspector, samples the CPU for a while, and prints the longest stretches without an
// idle sample (the thread was busy throughout) with the stacks that filled them, most first.
// A stall shows as one stretch; a hot path as many short ones.
//   node stalls.mjs <inspector port> <seconds> [min ms, default 15]
import { cpuProfile, isIdle, treeOf, where } from "./inspector.mjs";

const [port, seconds, minMs = 15] = process.argv.slice(2).map(Number);
// 0.5 ms: fine enough to see a stall, coarse enough not to make one.
const profile = await cpuProfile(port, seconds, 500);

const { nodes, parents } = treeOf(profile);
const idle = (id) => isIdle(nodes.get(id));
function stack(id) {
  const frames = [];
  for (let at = id; at !== undefined; at = parents.get(at)) {
    frames.unshift(where(nodes.get(at)));
  }
  // The runtime's own frames of the event loop say nothing: from the first of ours or a library's.
  const first = frames.findIndex((f) => / (src|tests)\/| npm:/.test(f));
  return frames.slice(Math.max(1, first)).join(" > ");
}

const stretches = [];
let t = profile.startTime;
let open = null;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i];
  const id = profile.samples[i];
  if (idle(id)) {
    if (open && (open.end - open.start) / 1000 >= minMs) stretches.push(open);
    open = null;
  } else {
    open ??= { start: t, end: t, samples: [] };
    open.samples.push(id);
    open.end = t;
  }
}
stretches.sort((a, b) => (b.end - b.start) - (a.end - a.start));
console.log(
  `${stretches.length} busy stretches of ${minMs} ms or more in ${seconds} s`,
);
for (const s of stretches.slice(0, 8)) {
  const counts = new Map();
  for (const id of s.samples) {
    counts.set(stack(id), (counts.get(stack(id)) ?? 0) + 1);
  }
  console.log(`--- ${((s.end - s.start) / 1000).toFixed(1)} ms`);
  for (const [st, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3)) {
    console.log(`  ${n} samples: ${st}`);
  }
}
