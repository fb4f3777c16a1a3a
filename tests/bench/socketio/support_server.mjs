// The seed's realtime stack doing the durable work of a support desk, for tests/bench/support.ts:
// Socket.IO 4.8 with @socket.io/redis-adapter, a JWT (HS256, jsonwebtoken) checked at connect,
// a membership check against SQLite per message, and each message inserted with its per-room
// sequence number into SQLite (better-sqlite3, WAL, one file shared by the instances) before the
// emit. `typing` is relayed to the room; `mark-read` stores the reader's position and tells the
// room. Env: PORT, REDIS_URL, JWT_SECRET, DB_FILE, INSTANCE.
import { createServer } from "node:http";
import { createSecretKey, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
// The packages come from ./node_modules through Node; loaded by require so that `deno check
// tests/` (which walks this directory too) does not look for them in deno.json.
const require = createRequire(import.meta.url);
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { Redis } = require("ioredis");
const jwt = require("jsonwebtoken");
const Database = require("better-sqlite3");

// A KeyObject made once (see rest_server.mjs: a string costs jsonwebtoken a key parse per verify).
const secret = createSecretKey(Buffer.from(process.env.JWT_SECRET));
const db = new Database(process.env.DB_FILE, { fileMustExist: true });
db.pragma("journal_mode = WAL");
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
const isMember = db.prepare("SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ?");
const nextSeq = db.prepare(
  "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM messages WHERE room_id = ?",
);
const insert = db.prepare(
  "INSERT INTO messages (id, room_id, seq, sender_id, type, text, client_message_id, created_at) " +
    "VALUES (?, ?, ?, ?, 'text', ?, ?, ?)",
);
const storeMessage = db.transaction((m) => {
  const { seq } = nextSeq.get(m.roomId);
  insert.run(m.id, m.roomId, seq, m.senderId, m.text, m.clientMessageId, m.createdAt);
  return seq;
});
const markRead = db.prepare(
  "INSERT INTO read_positions (room_id, user_id, seq, at) VALUES (?, ?, ?, ?) " +
    "ON CONFLICT (room_id, user_id) DO UPDATE SET seq = max(seq, excluded.seq), at = excluded.at",
);

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

io.use((socket, next) => {
  try {
    socket.data.user = jwt.verify(socket.handshake.auth?.token ?? "", secret, {
      algorithms: ["HS256"],
    });
    next();
  } catch {
    next(new Error("Unauthorized"));
  }
});

const fail = (ack, message) => typeof ack === "function" && ack({ error: message });

io.on("connection", (socket) => {
  const user = socket.data.user;
  socket.on("join-room", (data, ack) => {
    if (!isMember.get(data?.roomId, user.id)) return fail(ack, "Room not found");
    socket.join(`room:${data.roomId}`);
    if (typeof ack === "function") ack({ roomId: data.roomId });
  });
  socket.on("typing", (data) => {
    if (!socket.rooms.has(`room:${data?.roomId}`)) return;
    socket.to(`room:${data.roomId}`).emit("user-typing", {
      userId: user.id,
      roomId: data.roomId,
      isTyping: data.isTyping === true,
    });
  });
  socket.on("send-message", (data, ack) => {
    if (typeof data?.message !== "string" || !isMember.get(data.roomId, user.id)) {
      return fail(ack, "Room not found");
    }
    const message = {
      id: randomUUID(),
      roomId: data.roomId,
      senderId: user.id,
      senderRole: user.role,
      type: "text",
      text: data.message,
      clientMessageId: data.clientMessageId ?? randomUUID(),
      createdAt: new Date().toISOString(),
    };
    try {
      // BEGIN IMMEDIATE: a deferred transaction upgrading to a write while the other instance
      // writes fails at once with SQLITE_BUSY instead of waiting.
      message.seq = storeMessage.immediate(message);
    } catch (err) {
      return fail(ack, String(err));
    }
    io.to(`room:${data.roomId}`).emit("message-received", {
      message,
      sender: { id: user.id, role: user.role },
    });
    if (typeof ack === "function") {
      ack({ messageId: message.id, seq: message.seq, roomId: data.roomId, duplicate: false });
    }
  });
  socket.on("mark-read", (data, ack) => {
    if (!socket.rooms.has(`room:${data?.roomId}`)) return fail(ack, "Room not found");
    markRead.run(data.roomId, user.id, Number(data.seq) || 0, new Date().toISOString());
    socket.to(`room:${data.roomId}`).emit("message-read", {
      roomId: data.roomId,
      userId: user.id,
      seq: data.seq,
    });
    if (typeof ack === "function") ack({ roomId: data.roomId, seq: data.seq });
  });
});

await Promise.all([pub.ping(), sub.ping()]);
http.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => {
  io.close();
  pub.disconnect();
  sub.disconnect();
  db.close();
  process.exit(0);
});
