// The seed's realtime stack, for tests/bench/realtime.ts: a Socket.IO 4.8 server with the Redis
// adapter. `join-room {roomId}` joins; `send-message {roomId, message, clientMessageId}` emits
// `message-received` to the room (on every instance, through Redis) with ChatCRM's payload shape
// and answers the ack. Nothing is persisted and nothing is authenticated: a baseline of the
// transport alone. Env: PORT, REDIS_URL, INSTANCE.
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
// The packages come from ./node_modules through Node; imported dynamically so that `deno check
// tests/` (which walks this directory too) does not look for them in deno.json.
const load = (name) => import(name);
const { Server } = await load("socket.io");
const { createAdapter } = await load("@socket.io/redis-adapter");
const { Redis } = await load("ioredis");

const port = Number(process.env.PORT);
const pub = new Redis(process.env.REDIS_URL);
const sub = pub.duplicate();
const http = createServer((req, res) => {
  res.writeHead(req.url === "/health" ? 200 : 404).end();
});
const io = new Server(http, {
  transports: ["websocket"],
  adapter: createAdapter(pub, sub),
  serveClient: false,
});

// Per-instance sequence numbers: the seed had no shared seq; this only keeps the payload shape.
const seqs = new Map();

io.on("connection", (socket) => {
  socket.on("join-room", (data, ack) => {
    socket.join(`room:${data.roomId}`);
    if (typeof ack === "function") {
      ack({ roomId: data.roomId, lastSeq: seqs.get(data.roomId) ?? 0 });
    }
  });
  socket.on("send-message", (data, ack) => {
    const seq = (seqs.get(data.roomId) ?? 0) + 1;
    seqs.set(data.roomId, seq);
    const message = {
      id: randomUUID(),
      organizationId: "bench",
      roomId: data.roomId,
      seq,
      senderId: socket.id,
      senderRole: "Agent",
      type: "text",
      text: data.message,
      fileId: null,
      clientMessageId: data.clientMessageId ?? randomUUID(),
      email: null,
      createdAt: new Date().toISOString(),
    };
    io.to(`room:${data.roomId}`).emit("message-received", {
      message,
      sender: { id: message.senderId, role: message.senderRole },
    });
    if (typeof ack === "function") {
      ack({ messageId: message.id, seq, roomId: data.roomId, duplicate: false });
    }
  });
});

await Promise.all([pub.ping(), sub.ping()]);
http.listen(port, "127.0.0.1", () => console.error(`socket.io ${process.env.INSTANCE} on ${port}`));
process.on("SIGTERM", () => {
  io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
});
