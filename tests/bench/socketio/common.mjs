// What the Node load generators of tests/bench/ share: the servers' CPU and memory read from /proc,
// batching and timeouts.
import { readFileSync } from "node:fs";

/** User + system CPU seconds of a process (all threads), from /proc/<pid>/stat; NaN if gone. */
export function procCpuSeconds(pid, clkTck) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / clkTck;
  } catch {
    return NaN;
  }
}

/** Resident memory of a process in kB (VmRSS), or NaN. */
export function rssKb(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
  } catch {
    return NaN;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** In batches of `width`, runs `fn` for every index below `n`; resolves with the results. */
export async function batched(n, width, fn) {
  const all = [];
  for (let i = 0; i < n; i += width) {
    const part = [];
    for (let j = i; j < Math.min(n, i + width); j++) part.push(fn(j));
    all.push(...(await Promise.all(part)));
  }
  return all;
}

export function withTimeout(p, ms, what) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The value at quantile `p` of an ascending array (NaN when empty). */
export const quantile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
