/**
 * The floor under "memory per idle conversation" (issue 20): what one idle WebSocket costs the
 * runtime itself, before any product code. Two bare servers, each holding sockets open and doing
 * nothing else, in alternating rounds with fresh processes:
 *   - Deno: `Deno.serve` + `Deno.upgradeWebSocket` (tests/bench/bare_socket_server.ts), what ours
 *     is built on;
 *   - Node: `node:http` + `ws` (tests/bench/socketio/bare_ws_server.mjs), what Socket.IO is built
 *     on.
 * Each server runs on core 0, the client (tests/bench/socketio/idle_sockets_client.mjs) on core 1;
 * reported: RSS growth per socket, median (min–max), the Deno / Node ratio, and the least a
 * support-bench conversation (a customer's socket and a fifth of an agent's) can cost on Deno.
 *
 *   deno task bench sockets         SOCKETS=2000 BENCH_PAIRS=5
 */
import type { Bench } from "./main.ts";
import { findBinary, freePort } from "@tests/helpers/servers.ts";
import { alternate, benchPairs, ratios, ratioText, spread, spreadText } from "./rounds.ts";
import { ensurePeers, peersDir } from "./peers.ts";
import { spawnPinned } from "./rest.ts";

const count = Number(Deno.env.get("SOCKETS") ?? 2000);
/** As in tests/bench/support.ts: each agent's socket serves five conversations. */
const socketsPerConversation = 1 + 1 / 5;
const taskset = findBinary("taskset", ["/usr/bin"]);

async function measure(node: string, server: string[], cwd?: string): Promise<number> {
  const port = freePort();
  const proc = await spawnPinned(0, [...server, String(port)], port, {}, cwd);
  try {
    const cmd = [node, "idle_sockets_client.mjs", `ws://127.0.0.1:${port}/`, String(proc.pid)];
    const [bin, ...args] = taskset ? [taskset, "-c", "1", ...cmd] : cmd;
    const { code, stdout, stderr } = await new Deno.Command(bin!, {
      args: [...args, String(count)],
      cwd: peersDir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`idle_sockets_client.mjs: ${new TextDecoder().decode(stderr)}`);
    return (JSON.parse(new TextDecoder().decode(stdout)) as { kbPerSocket: number }).kbPerSocket;
  } finally {
    await proc.stop();
  }
}

export const socketsBench: Bench = {
  name: "sockets",
  async run() {
    const node = findBinary("node", ["/usr/bin", "/usr/local/bin"]);
    if (!node) throw new Error("Node.js is needed for the bare ws server (tests/bench/socketio/)");
    await ensurePeers();
    const runs = await alternate(
      benchPairs,
      {
        deno: () =>
          measure(node, [
            Deno.execPath(),
            "run",
            "--allow-net",
            "tests/bench/bare_socket_server.ts",
          ]),
        node: () => measure(node, [node, "bare_ws_server.mjs"], peersDir),
      },
      (side, round, kb) =>
        console.error(`bench: sockets ${side} round ${round + 1}: ${kb.toFixed(1)} KB per socket`),
    );
    const f1 = (v: number) => v.toFixed(1);
    const deno = spread(runs.deno);
    const floor = deno.median * socketsPerConversation;
    return [
      {
        benchmark: "sockets: RSS per idle socket, bare Deno.serve + Deno.upgradeWebSocket",
        result: `${spreadText(deno, f1)} KB`,
        detail: `${count} sockets, growth over the last nine tenths; ${runs.deno.length} rounds`,
      },
      {
        benchmark: "sockets: RSS per idle socket, bare node:http + ws (beneath Socket.IO)",
        result: `${spreadText(spread(runs.node), f1)} KB`,
        detail: `${count} sockets, growth over the last nine tenths; ${runs.node.length} rounds`,
      },
      {
        benchmark: "sockets ratio: Deno / Node per idle socket",
        result: ratioText(spread(ratios(runs.deno, runs.node))),
        detail: `the least a support-bench conversation (${socketsPerConversation} sockets) ` +
          `holds on Deno: ${f1(floor)} KB, before any product code`,
      },
    ];
  },
};
