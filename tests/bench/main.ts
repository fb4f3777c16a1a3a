/**
 * `deno task bench`: measures the API as operators run it (`deno task start`'s flags, embedded
 * default, a fresh DATA_DIR) and prints a markdown table. Nothing here is asserted: figures
 * vary with the machine; compare them between commits on the same machine.
 *
 *   deno task bench                 every benchmark
 *   deno task bench startup memory  only those whose name starts with one of the arguments
 *   deno task bench --json          the table, then the rows as JSON
 *   deno task bench --no-wrk        load with in-process fetch loops even where wrk is installed
 *
 * To add a benchmark, append a `Bench` to `benches`: it gets a `BenchContext` (start a server,
 * find tools) and returns rows for the table.
 */
import { findBinary, freePort } from "@tests/helpers/servers.ts";
import { childEnv } from "@tests/helpers/process.ts";
import { realtimeBench } from "./realtime.ts";
import { queriesBench } from "./queries.ts";
import { restBench } from "./rest.ts";
import { supportBench } from "./support.ts";
import { socketsBench } from "./sockets.ts";
import { searchBench } from "./search.ts";
import { reportsMongoBench, reportsSqliteBench } from "./reports.ts";

/** One line of the results table. */
export interface BenchRow {
  benchmark: string;
  result: string;
  detail?: string;
  target?: string;
}

export interface Bench {
  /** Short name, used to pick benchmarks on the command line. */
  name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** A `deno run src/main.ts` child with its own DATA_DIR and port. */
export interface Server {
  pid: number;
  port: number;
  url: string;
  /** Milliseconds from spawn to the first 200 of GET /health/ready. */
  readyMs: number;
  /** SIGTERM, wait for the exit, remove the data dir. */
  stop(): Promise<void>;
}

export interface BenchContext {
  /** Starts the API on the embedded default (plus `env`) and waits for /health/ready 200. */
  startServer(env?: Record<string, string>): Promise<Server>;
  /** Full path of a tool on PATH, or null. */
  tool(name: string): string | null;
}

const root = new URL("../../", import.meta.url).pathname;

/** The `start` task's command line (see deno.json), run from the repository root. */
const startArgs = [
  "run",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-sys",
  "src/main.ts",
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-bench-" });
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const spawnedAt = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: startArgs,
    cwd: root,
    // Only what is given: a CI's MONGODB_URI or REDIS_URL must not change what is measured.
    clearEnv: true,
    env: childEnv({ HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir, ...env }),
    stdin: "null",
    // The request log goes to stdout: discarded, so a full pipe never stalls the server.
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const drained = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  let exited: Deno.CommandStatus | undefined;
  const status = child.status.then((s) => exited = s);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      // A server that died during a run says why (its stderr is otherwise kept from the table).
      const died = exited;
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await status;
      await drained;
      if (died) {
        console.error(`bench: the server on ${url} had exited with ${died.code}:\n${stderr}`);
      }
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    })();

  const deadline = spawnedAt + 30_000;
  while (true) {
    if (exited) {
      await stop();
      throw new Error(`the server exited with code ${exited.code}:\n${stderr}`);
    }
    try {
      const res = await fetch(`${url}/health/ready`);
      await res.body?.cancel();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`/health/ready did not answer 200 in 30 s:\n${stderr}`);
    }
    await sleep(5);
  }
  return { pid: child.pid, port, url, readyMs: performance.now() - spawnedAt, stop };
}

const noWrk = Deno.args.includes("--no-wrk");

const ctx: BenchContext = {
  startServer,
  tool: (name) => noWrk && name === "wrk" ? null : findBinary(name, ["/usr/bin", "/usr/local/bin"]),
};

// --- helpers ---------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ms = (v: number) => `${Math.round(v)} ms`;
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM), or NaN where /proc is missing. */
async function procStatusKb(pid: number, field: string): Promise<number> {
  try {
    const text = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

interface Load {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  tool: string;
}

const loadSeconds = 5;
const loadThreads = 2;
const loadConnections = 50;

/** wrk's "Latency Distribution" value (e.g. "1.23ms", "850.00us", "1.02s") in ms. */
function wrkDuration(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? "");
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as "us" | "ms" | "s" | "m"];
}

async function wrkLoad(wrk: string, url: string): Promise<Load> {
  const { stdout, stderr, code } = await new Deno.Command(wrk, {
    args: [
      `-t${loadThreads}`,
      `-c${loadConnections}`,
      `-d${loadSeconds}s`,
      "--latency",
      url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`wrk failed: ${new TextDecoder().decode(stderr)}`);
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
    .exec(out)?.slice(1).reduce((sum, n) => sum + Number(n), 0) ?? 0;
  return {
    requestsPerSecond: num(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: wrkDuration(/^\s+50%\s+(\S+)/m.exec(out)?.[1]),
    p99Ms: wrkDuration(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
    requests: num(/(\d+) requests in/),
    errors: (num(/Non-2xx or 3xx responses:\s+(\d+)/) || 0) + socketErrors,
    tool: `wrk -t${loadThreads} -c${loadConnections} -d${loadSeconds}s`,
  };
}

/** Without wrk: `loadConnections` concurrent fetch loops in this process for `loadSeconds`. */
async function fetchLoad(url: string): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + loadSeconds * 1000;
  await Promise.all(Array.from({ length: loadConnections }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        if (res.status !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return {
    requestsPerSecond: latencies.length / seconds,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    requests: latencies.length,
    errors,
    tool: `in-process fetch, ${loadConnections} concurrent, ${loadSeconds}s (no wrk)`,
  };
}

// --- benchmarks ------------------------------------------------------------------------------

const startupRuns = 5;

/** Time from spawning `deno run src/main.ts` to the first 200 of GET /health/ready. */
const startup: Bench = {
  name: "startup",
  async run(ctx) {
    const times: number[] = [];
    for (let i = 0; i < startupRuns; i++) {
      const server = await ctx.startServer();
      times.push(server.readyMs);
      await server.stop();
    }
    return [{
      benchmark: `start → /health/ready 200 (median of ${startupRuns})`,
      result: ms(median(times)),
      detail: `runs: ${times.map((t) => Math.round(t)).join(", ")} ms`,
      target: "< 1500 ms",
    }];
  },
};

/** Resident memory of the server once ready and idle. */
const memory: Bench = {
  name: "memory",
  async run(ctx) {
    const server = await ctx.startServer();
    try {
      await sleep(1000);
      const rss = await procStatusKb(server.pid, "VmRSS");
      const peak = await procStatusKb(server.pid, "VmHWM");
      return [{
        benchmark: "idle memory after ready (VmRSS)",
        result: mb(rss),
        detail: `peak so far (VmHWM) ${mb(peak)}`,
        target: "< 100 MB",
      }];
    } finally {
      await server.stop();
    }
  },
};

/** Requests per second on the health routes, with wrk when installed. */
const throughput: Bench = {
  name: "throughput",
  async run(ctx) {
    const server = await ctx.startServer();
    const wrk = ctx.tool("wrk");
    const rows: BenchRow[] = [];
    try {
      for (const path of ["/health/live", "/health/ready"]) {
        const url = `${server.url}${path}`;
        const load = wrk ? await wrkLoad(wrk, url) : await fetchLoad(url);
        rows.push({
          benchmark: `GET ${path} throughput`,
          result: `${Math.round(load.requestsPerSecond)} req/s`,
          detail: `p50 ${load.p50Ms.toFixed(2)} ms, p99 ${load.p99Ms.toFixed(2)} ms, ` +
            `${load.requests} requests, ${load.errors} errors; ${load.tool}`,
        });
      }
      const rss = await procStatusKb(server.pid, "VmRSS");
      rows.push({ benchmark: "memory after the load (VmRSS)", result: mb(rss) });
      return rows;
    } finally {
      await server.stop();
    }
  },
};

/**
 * Whether the hub keeps memory after a burst: a child with --expose-gc reports the JS heap after
 * a full collection, idle, loaded and after its sockets closed, for several rounds.
 */
const hubMemory: Bench = {
  name: "hub-memory",
  async run() {
    const sockets = 100, messages = 2000, rounds = 3;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        "tests/bench/hub_memory_child.ts",
        ...[sockets, messages, rounds].map(String),
      ],
      cwd: root,
      env: { LOG_LEVEL: "silent" },
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("the hub-memory child failed");
    const steps = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
      JSON.parse(l) as { step: string; heapMb: number; rssMb: number }
    );
    return steps.map((s, i) => ({
      benchmark: `hub memory, ${s.step}`,
      result: `${s.heapMb} MB heap`,
      detail: `RSS ${s.rssMb} MB` +
        (i > 0 ? "" : `; per round ${sockets} sockets in one room and ` +
          `${messages} messages of 1 KB to them; the clients run in the same process, so their ` +
          "frames count while loaded"),
    }));
  },
};

/** Every benchmark, in the order they run; later issues append theirs. */
export const benches: Bench[] = [
  startup,
  memory,
  throughput,
  restBench,
  queriesBench,
  searchBench,
  reportsSqliteBench,
  reportsMongoBench,
  realtimeBench,
  supportBench,
  socketsBench,
  hubMemory,
];

// --- runner ----------------------------------------------------------------------------------

function table(rows: BenchRow[]): string {
  const cols = ["benchmark", "result", "target", "detail"] as const;
  const cell = (r: BenchRow, c: typeof cols[number]) => (r[c] ?? "").replaceAll("|", "\\|");
  return [
    `| ${cols.join(" | ")} |`,
    `| ${cols.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${cols.map((c) => cell(r, c)).join(" | ")} |`),
  ].join("\n");
}

async function main(args: string[]): Promise<number> {
  const json = args.includes("--json");
  const wanted = args.filter((a) => !a.startsWith("--"));
  const selected = benches.filter((b) =>
    !wanted.length || wanted.some((w) => b.name.startsWith(w))
  );
  if (!selected.length) {
    console.error(
      `No benchmark matches ${wanted.join(", ")}; known: ${benches.map((b) => b.name)}`,
    );
    return 2;
  }
  const rows: BenchRow[] = [];
  let failed = 0;
  for (const bench of selected) {
    console.error(`bench: ${bench.name} …`);
    try {
      rows.push(...await bench.run(ctx));
    } catch (err) {
      failed++;
      rows.push({ benchmark: bench.name, result: "failed", detail: String(err).split("\n")[0]! });
      console.error(err);
    }
  }
  const cpu = Deno.build.target;
  console.log(
    `\n## ChatCRM bench (${
      new Date().toISOString()
    }, deno ${Deno.version.deno}, ${cpu}, ${navigator.hardwareConcurrency} cores)\n`,
  );
  console.log(table(rows));
  if (json) console.log(`\n${JSON.stringify(rows, null, 2)}`);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
