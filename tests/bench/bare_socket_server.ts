/**
 * The floor for a socket's memory (tests/bench/sockets.ts): a bare `Deno.serve` that upgrades
 * every request with `Deno.upgradeWebSocket` and keeps the socket open, doing nothing else.
 *
 *   deno run --allow-net tests/bench/bare_socket_server.ts <port>
 */
const port = Number(Deno.args[0]);
const open = new Set<WebSocket>();
Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (req) => {
  if (req.headers.get("upgrade") !== "websocket") return new Response("ok");
  const { socket, response } = Deno.upgradeWebSocket(req);
  socket.onopen = () => open.add(socket);
  socket.onclose = () => open.delete(socket);
  return response;
});
