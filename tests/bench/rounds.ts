/**
 * The method every comparison of `deno task bench` follows (issue 20): the sides run in
 * alternating rounds (A, B, A, B …, at least five pairs), each pair gives a ratio, and the figure
 * is the median of those ratios with their min and max, so that drift on a shared machine (another
 * process waking up, the CPU's clock) weighs on both sides of a pair alike and cancels. Alongside
 * throughput, CPU per operation comes from the server processes' own accounting (user + system
 * time in /proc/<pid>/stat), which is steadier than operations per second.
 */

/** Pairs of rounds, unless BENCH_PAIRS says otherwise (never fewer than 5 for a quoted figure). */
export const benchPairs = Math.max(1, Number(Deno.env.get("BENCH_PAIRS") ?? 5));

/** Runs `sides` in turn, `pairs` times over; returns each side's results in round order. */
export async function alternate<K extends string, T>(
  pairs: number,
  sides: Record<K, (round: number) => Promise<T>>,
  onResult?: (side: K, round: number, result: T) => void,
): Promise<Record<K, T[]>> {
  const names = Object.keys(sides) as K[];
  const results = Object.fromEntries(names.map((n) => [n, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < pairs; round++) {
    // Every other round starts with the other side, so that neither always runs first.
    const order = round % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const result = await sides[name](round);
      results[name].push(result);
      onResult?.(name, round, result);
    }
  }
  return results;
}

/** Median, min and max of some values (NaN where there are none). */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v.at(-1)!, n: v.length };
}

/** The pair-by-pair ratios a[i] / b[i]. */
export function ratios(a: number[], b: number[]): number[] {
  return a.map((x, i) => x / b[i]!);
}

/** "0.62× (0.55–0.70×, 5 pairs)". */
export function ratioText(s: Spread, digits = 2): string {
  if (!s.n) return "n/a";
  const f = (v: number) => v.toFixed(digits);
  return `${f(s.median)}× (${f(s.min)}–${f(s.max)}×, ${s.n} pair${s.n === 1 ? "" : "s"})`;
}

/** "14425 (13900–15010)": a median with its range. */
export function spreadText(s: Spread, format: (v: number) => string): string {
  if (!s.n) return "n/a";
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

/** Whether a ratio target holds on the median, and by how much it misses otherwise. */
export function verdict(s: Spread, target: number, better: "higher" | "lower"): string {
  if (!s.n) return "not measured";
  const met = better === "higher" ? s.median >= target : s.median <= target;
  const always = better === "higher" ? s.min >= target : s.max <= target;
  if (met) return always ? "met in every pair" : "met on the median, not in every pair";
  const by = better === "higher" ? target / s.median : s.median / target;
  return `missed by ${by.toFixed(1)}×`;
}

/** Clock ticks per second of /proc CPU times. */
export const clkTck = await (async () => {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).output();
    return Number(new TextDecoder().decode(out.stdout).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds a process (all its threads) has used so far, or NaN. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clkTck;
  } catch {
    return NaN;
  }
}

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM), or NaN. */
export async function statusKb(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  try {
    const text = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}
