/**
 * REST benchmark (issue 20, "REST"): four servers on the same query document, measured in
 * alternating rounds (tests/bench/rounds.ts):
 *   - the limit: a bare `Deno.serve` answering that very document from memory;
 *   - the floor (tests/bench/floor_server.ts): one Hono route, the token verified once and kept,
 *     the document read from the same SQLite file: the house's parts with nothing of ours;
 *   - ours: `GET /api/v1/queries/:id` with a Bearer token, embedded default (`deno task start`);
 *   - the seed's stack doing the same work (tests/bench/socketio/rest_server.mjs): Node, Express 5,
 *     helmet, express-rate-limit, hpp, jsonwebtoken verifying HS256 each request, express-validator
 *     on the param, the document read from SQLite by key and organization with better-sqlite3.
 * Each server runs alone on core 0 and wrk on core 1; the four stay up and take turns, so
 * whatever else the machine does weighs on each round alike. Per round: requests per second and
 * the server's CPU per request (user + system from /proc), and from them the pair ratios.
 *
 *   deno task bench rest        (BENCH_PAIRS=7 for more rounds; REST_QUERIES=100000 for more data)
 */
import { SignJWT } from "jose";
import type { Bench, BenchRow } from "./main.ts";
import { findBinary, freePort, taskArgs, waitForPort } from "@tests/helpers/servers.ts";
import { login, seedQueries } from "./queries.ts";
import {
  alternate,
  benchPairs,
  cpuSeconds,
  ratios,
  ratioText,
  spread,
  spreadText,
  verdict,
} from "./rounds.ts";
import { ensurePeers, peersDir } from "./peers.ts";

const root = new URL("../../", import.meta.url).pathname;
const queryCount = Number(Deno.env.get("REST_QUERIES") ?? 10_000);
const seconds = 5;
const connections = 32;
const serverCore = 0;
const loadCore = 1;

const taskset = findBinary("taskset", ["/usr/bin"]);
const pin = (core: number, cmd: string[]) => taskset ? [taskset, "-c", String(core), ...cmd] : cmd;

export interface Proc {
  pid: number;
  stop(): Promise<void>;
}

/** Spawns a command pinned to `core` (taskset execs: the pid is the server's) and waits for it. */
export async function spawnPinned(
  core: number,
  cmd: string[],
  port: number,
  env: Record<string, string>,
  cwd = root,
): Promise<Proc> {
  const [bin, ...args] = pin(core, cmd);
  const child = new Deno.Command(bin!, {
    args,
    cwd,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      RUST_BACKTRACE: "0",
      NO_COLOR: "1",
      ...env,
    },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
    })();
  try {
    await waitForPort(port, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid, stop };
}

/** `deno run --allow-net --allow-read <script> <port> ...args` on the server core. */
async function denoServer(script: string, args: string[]): Promise<Proc & { port: number }> {
  const port = freePort();
  const cmd = [Deno.execPath(), "run", "--allow-net", "--allow-read", script, String(port)];
  return { ...await spawnPinned(serverCore, [...cmd, ...args], port, {}), port };
}

export interface WrkResult {
  rps: number;
  requests: number;
  non2xx: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU seconds (user + system) over the run, and per request in µs. */
  cpuSeconds: number;
  cpuUsPerRequest: number;
}

function duration(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? "");
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as "us" | "ms" | "s" | "m"];
}

/** wrk -t1 on the load core against `url`, with the server's CPU over the same run. */
export async function wrkRun(
  url: string,
  serverPid: number,
  headers: Record<string, string> = {},
): Promise<WrkResult> {
  const exe = findBinary("wrk", ["/usr/bin", "/usr/local/bin"]);
  if (!exe) throw new Error("wrk is not installed (apt-get install wrk)");
  const header = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const [bin, ...args] = pin(loadCore, [
    exe,
    "-t1",
    `-c${connections}`,
    `-d${seconds}s`,
    "--latency",
    ...header,
    url,
  ]);
  const cpu0 = await cpuSeconds(serverPid);
  const { stdout, stderr, code } = await new Deno.Command(bin!, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const cpu = (await cpuSeconds(serverPid)) - cpu0;
  const out = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`wrk failed: ${new TextDecoder().decode(stderr)}`);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    requests,
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    p50Ms: duration(/^\s+50%\s+(\S+)/m.exec(out)?.[1]),
    p99Ms: duration(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
    cpuSeconds: cpu,
    cpuUsPerRequest: (cpu / requests) * 1e6,
  };
}

const f0 = (v: number) => String(Math.round(v));
const f1 = (v: number) => v.toFixed(1);

export const restBench: Bench = {
  name: "rest",
  async run() {
    const node = findBinary("node", ["/usr/bin", "/usr/local/bin"]);
    if (!node) throw new Error("Node.js is needed for the seed's stack (tests/bench/socketio/)");
    await ensurePeers();
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-bench-rest-" });
    const procs: Proc[] = [];
    try {
      const { sample, orgId } = await seedQueries(dataDir, queryCount);
      const oursPort = freePort();
      const ours = await spawnPinned(
        serverCore,
        [Deno.execPath(), ...taskArgs("start")],
        oursPort,
        {
          PORT: String(oursPort),
          HOST: "127.0.0.1",
          DATA_DIR: dataDir,
          RATE_LIMIT_MAX: "1000000",
          RATE_LIMIT_USER_MAX: "1000000",
          LOG_LEVEL: "warn",
          CRONS_ENABLED: "false",
        },
      );
      procs.push(ours);
      const oursUrl = `http://127.0.0.1:${oursPort}/api/v1/queries/${sample}`;
      const token = await login(`http://127.0.0.1:${oursPort}`);
      const oursHeaders = { authorization: `Bearer ${token}` };
      const document = await (await fetch(oursUrl, { headers: oursHeaders })).text();
      const documentFile = `${dataDir}/document.json`;
      await Deno.writeTextFile(documentFile, document);

      const limit = await denoServer("tests/bench/bare_server.ts", [documentFile]);
      procs.push(limit);

      const secret = crypto.randomUUID();
      const seedPort = freePort();
      const seed = await spawnPinned(
        serverCore,
        [node, "rest_server.mjs", String(seedPort), `${dataDir}/chatcrm.db`, secret],
        seedPort,
        { NODE_ENV: "production" },
        peersDir,
      );
      procs.push(seed);
      const seedToken = await new SignJWT({ id: "bench", role: "Admin", organizationId: orgId })
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime("1h")
        .sign(new TextEncoder().encode(secret));
      const seedHeaders = { authorization: `Bearer ${seedToken}` };
      const seedUrl = `http://127.0.0.1:${seedPort}/api/v1/queries/${sample}`;
      const seedDocument = await (await fetch(seedUrl, { headers: seedHeaders })).text();
      if (JSON.parse(seedDocument).id !== sample) {
        throw new Error(`the seed's stack answered ${seedDocument.slice(0, 200)}`);
      }
      const limitUrl = `http://127.0.0.1:${limit.port}/`;

      // The floor: the house's parts alone (hono, node:sqlite), on the seed's token.
      const floor = await denoServer("tests/bench/floor_server.ts", [
        `${dataDir}/chatcrm.db`,
        secret,
      ]);
      procs.push(floor);
      const floorUrl = `http://127.0.0.1:${floor.port}/api/v1/queries/${sample}`;
      const floorDocument = await (await fetch(floorUrl, { headers: seedHeaders })).text();
      if (JSON.parse(floorDocument).id !== sample) {
        throw new Error(`the floor server answered ${floorDocument.slice(0, 200)}`);
      }

      // Warm-up (JIT, page cache), not measured.
      for (
        const [url, pid, h] of [
          [limitUrl, limit.pid, {}],
          [floorUrl, floor.pid, seedHeaders],
          [oursUrl, ours.pid, oursHeaders],
          [seedUrl, seed.pid, seedHeaders],
        ] as const
      ) {
        await wrkRun(url, pid, h);
      }
      const runs = await alternate(benchPairs, {
        limit: () => wrkRun(limitUrl, limit.pid),
        floor: () => wrkRun(floorUrl, floor.pid, seedHeaders),
        ours: () => wrkRun(oursUrl, ours.pid, oursHeaders),
        seed: () => wrkRun(seedUrl, seed.pid, seedHeaders),
      }, (side, round, r) =>
        console.error(
          `bench: rest ${side} round ${round + 1}: ${f0(r.rps)} req/s, ` +
            `${f1(r.cpuUsPerRequest)} µs CPU/request, p99 ${f1(r.p99Ms)} ms, ${r.non2xx} non-2xx`,
        ));
      const rps = (k: keyof typeof runs) => runs[k].map((r) => r.rps);
      const cpu = (k: keyof typeof runs) => runs[k].map((r) => r.cpuUsPerRequest);
      const errors = (k: keyof typeof runs) => runs[k].reduce((n, r) => n + r.non2xx, 0);
      const row = (name: string, k: keyof typeof runs, bytes: number): BenchRow => ({
        benchmark: name,
        result: `${spreadText(spread(rps(k)), f0)} req/s`,
        detail: `${bytes} bytes; CPU ${spreadText(spread(cpu(k)), f1)} µs per request; ` +
          `p99 ${spreadText(spread(runs[k].map((r) => r.p99Ms)), f1)} ms; ` +
          `${errors(k)} non-2xx; median (min–max) of ${runs[k].length} rounds`,
      });
      const vsLimit = spread(ratios(rps("ours"), rps("limit")));
      const cpuVsLimit = spread(ratios(cpu("limit"), cpu("ours")));
      const vsSeed = spread(ratios(rps("ours"), rps("seed")));
      const cpuVsSeed = spread(ratios(cpu("seed"), cpu("ours")));
      const floorVsLimit = spread(ratios(rps("floor"), rps("limit")));
      const floorCpuVsLimit = spread(ratios(cpu("limit"), cpu("floor")));
      const oursVsFloor = spread(ratios(rps("ours"), rps("floor")));
      const floorVsSeed = spread(ratios(rps("floor"), rps("seed")));
      const floorCpuVsSeed = spread(ratios(cpu("seed"), cpu("floor")));
      const setup = `${queryCount} queries in SQLite; each server alone on core ${serverCore}, ` +
        `wrk -t1 -c${connections} -d${seconds}s on core ${loadCore}; rounds alternate ` +
        `(limit, floor, ours, seed; then reversed)`;
      return [
        { benchmark: "REST setup", result: `${benchPairs} rounds`, detail: setup },
        row("REST limit: bare Deno.serve answering the same document", "limit", document.length),
        row(
          "REST floor: one hono route, the token verified once and kept, a node:sqlite read",
          "floor",
          floorDocument.length,
        ),
        row("REST ours: GET /api/v1/queries/:id, Bearer token, SQLite", "ours", document.length),
        row(
          "REST seed's stack: Express 5 + helmet + rate limit + hpp + jsonwebtoken + " +
            "express-validator + better-sqlite3",
          "seed",
          seedDocument.length,
        ),
        {
          benchmark: "REST ratio: throughput ours / limit",
          result: ratioText(vsLimit),
          target: "≥ 0.5×",
          detail: verdict(vsLimit, 0.5, "higher"),
        },
        {
          benchmark: "REST ratio: CPU per request limit / ours",
          result: ratioText(cpuVsLimit),
          target: "≥ 0.5×",
          detail: `${verdict(cpuVsLimit, 0.5, "higher")} (0.5× means ours spends twice the CPU)`,
        },
        {
          benchmark: "REST ratio: throughput floor / limit (what the parts allow)",
          result: ratioText(floorVsLimit),
          detail: `CPU per request limit / floor ${ratioText(floorCpuVsLimit)}; ` +
            `ours / floor ${ratioText(oursVsFloor)} in throughput`,
        },
        {
          benchmark: "REST ratio: throughput floor / seed's stack (what the parts allow)",
          result: ratioText(floorVsSeed),
          detail: `CPU per request seed's stack / floor ${ratioText(floorCpuVsSeed)}`,
        },
        {
          benchmark: "REST ratio: throughput ours / seed's stack",
          result: ratioText(vsSeed),
          target: "≥ 8×",
          detail: verdict(vsSeed, 8, "higher"),
        },
        {
          benchmark: "REST ratio: CPU per request seed's stack / ours",
          result: ratioText(cpuVsSeed),
          target: "≥ 8×",
          detail: verdict(cpuVsSeed, 8, "higher"),
        },
      ];
    } finally {
      for (const p of procs.reverse()) await p.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
};
