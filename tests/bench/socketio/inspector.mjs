// A CPU profile of a Deno instance through its inspector (the Chrome DevTools protocol), for the
// profilers beside it (stalls.mjs, hot.mjs) in the benches' SUPPORT_INSPECT=1 runs.
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const WebSocket = require("ws");

/** Samples the instance behind inspector `port` for `seconds`, every `intervalUs`. */
export async function cpuProfile(port, seconds, intervalUs = 500) {
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json/list`))
    .json();
  const ws = new WebSocket(target.webSocketDebuggerUrl, {
    maxPayload: 1 << 30,
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  let lastId = 0;
  const pending = new Map();
  ws.on("message", (text) => {
    const m = JSON.parse(text);
    pending.get(m.id)?.(m.result);
    pending.delete(m.id);
  });
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++lastId, resolve);
      ws.send(JSON.stringify({ id: lastId, method, params }));
    });
  try {
    await call("Profiler.enable");
    await call("Profiler.setSamplingInterval", { interval: intervalUs });
    await call("Profiler.start");
    await new Promise((r) => setTimeout(r, seconds * 1000));
    return (await call("Profiler.stop")).profile;
  } finally {
    ws.close();
  }
}

/** A profile node's function and place: `name src/…:line` or `name npm:package:line`. */
export const where = ({ callFrame: f }) =>
  `${f.functionName || "(anonymous)"} ${
    f.url.replace(/.*\/node_modules\/\.deno\/([^/]+)\/.*/, "npm:$1").replace(
      /^file:\/\/.*?\/(src|tests)\//,
      "$1/",
    )
  }:${f.lineNumber + 1}`;

/** Whether a node is the thread doing nothing of the program's. */
export const isIdle = (node) =>
  ["(idle)", "(program)", "(root)"].includes(node.callFrame.functionName);

/** A profile's nodes by id, and each node's parent id. */
export function treeOf(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map();
  for (const n of profile.nodes) {
    for (const child of n.children ?? []) parents.set(child, n.id);
  }
  return { nodes, parents };
}
