// The seed's transport beneath Socket.IO, bare, for tests/bench/sockets.ts: a Node http server
// whose upgrades the `ws` package takes, every socket kept open, nothing else.
//   node bare_ws_server.mjs <port>
import { createServer } from "node:http";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { WebSocketServer } = require("ws");

const server = createServer((_req, res) => res.end("ok"));
new WebSocketServer({ server });
server.listen(Number(process.argv[2]), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
