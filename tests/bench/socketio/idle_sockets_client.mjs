// Opens idle WebSockets to a server and reports its RSS growth per socket, for
// tests/bench/sockets.ts: the first tenth warms the server up, the growth over the other nine
// tenths is measured after the last one opened and a pause.
//   node idle_sockets_client.mjs <ws url> <server pid> <sockets>   → one JSON line on stdout
import { createRequire } from "node:module";
import { batched, rssKb, sleep, withTimeout } from "./common.mjs";
const require = createRequire(import.meta.url);
const WebSocket = require("ws");

const [url, pidText, countText] = process.argv.slice(2);
const pid = Number(pidText);
const count = Number(countText);
const sockets = [];
const open = () =>
  withTimeout(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    }),
    30_000,
    "socket open",
  );
const warm = Math.max(1, Math.floor(count / 10));
sockets.push(...(await batched(warm, 50, open)));
await sleep(1000);
const before = rssKb(pid);
sockets.push(...(await batched(count - warm, 50, open)));
await sleep(2000);
const after = rssKb(pid);
console.log(
  JSON.stringify({ sockets: count - warm, kbPerSocket: (after - before) / (count - warm) }),
);
for (const ws of sockets) ws.terminate();
process.exit(0);
