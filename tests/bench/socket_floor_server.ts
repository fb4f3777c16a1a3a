/**
 * The floor of the house's own parts for the socket benches (tests/bench/realtime.ts and
 * support.ts): bare `Deno.serve` + `Deno.upgradeWebSocket`, ioredis pub/sub between instances
 * (one channel per room, as the Socket.IO adapter publishes once per broadcast), and, with
 * `DB_FILE`, the seed's durable work through node:sqlite: a JWT (HS256, jose, the key imported
 * once) checked at connect, a membership check per message, each message inserted with its seq in
 * `BEGIN IMMEDIATE … COMMIT` before it is sent on, `mark-read` stored. It speaks ChatCRM's
 * protocol (`connected`, `ack`, `message-received`, `user-typing`, `message-read`; the batched
 * subprotocol with the house's own writer), so the benches' clients drive it as they drive ours.
 * No validation library, no sessions, no rate limits, no gap repair: what no build on these
 * parts goes below, which tells a target the product misses from one its parts miss.
 *
 *   PORT=… REDIS_URL=… INSTANCE=A [DB_FILE=… JWT_SECRET=…] [WS_BATCH_DELAY_MS=…]
 *     deno run -A tests/bench/socket_floor_server.ts
 */
import { DatabaseSync } from "node:sqlite";
import { Redis } from "ioredis";
import { jwtVerify } from "jose";
import {
  batchedProtocol,
  batchingWriter,
  chooseProtocol,
  createFlusher,
  linesOf,
  plainWriter,
} from "@/realtime/wire.ts";

const env = (name: string) => Deno.env.get(name);
const instance = env("INSTANCE") ?? "A";
const durable = env("DB_FILE") !== undefined;
const key = new TextEncoder().encode(env("JWT_SECRET") ?? "");
const flusher = createFlusher(Number(env("WS_BATCH_DELAY_MS") ?? 0));

const db = durable ? new DatabaseSync(env("DB_FILE")!) : null;
db?.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL");
const sql = (text: string) => db!.prepare(text);
const isMember = durable
  ? sql("SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ?")
  : null;
const nextSeq = durable
  ? sql("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM messages WHERE room_id = ?")
  : null;
const insert = durable
  ? sql(
    "INSERT INTO messages (id, room_id, seq, sender_id, type, text, client_message_id, created_at) " +
      "VALUES (?, ?, ?, ?, 'text', ?, ?, ?)",
  )
  : null;
const markRead = durable
  ? sql(
    "INSERT INTO read_positions (room_id, user_id, seq, at) VALUES (?, ?, ?, ?) " +
      "ON CONFLICT (room_id, user_id) DO UPDATE SET seq = max(seq, excluded.seq), at = excluded.at",
  )
  : null;
/** Without a store, the seed's relay: a per-instance seq that only keeps the payload's shape. */
const seqs = new Map<string, number>();

function store(m: Record<string, unknown> & { roomId: string }): number {
  if (!durable) {
    const seq = (seqs.get(m.roomId) ?? 0) + 1;
    seqs.set(m.roomId, seq);
    return seq;
  }
  db!.exec("BEGIN IMMEDIATE");
  try {
    const { seq } = nextSeq!.get(m.roomId) as { seq: number };
    insert!.run(
      m.id as string,
      m.roomId,
      seq,
      m.senderId as string,
      m.text as string,
      m.clientMessageId as string,
      m.createdAt as string,
    );
    db!.exec("COMMIT");
    return seq;
  } catch (err) {
    db!.exec("ROLLBACK");
    throw err;
  }
}

interface Conn {
  socket: WebSocket;
  user: { id: string; role: string };
  write: (text: string) => void;
  rooms: Set<string>;
}
const rooms = new Map<string, Set<Conn>>();

const pub = new Redis(env("REDIS_URL")!);
const sub = pub.duplicate();
sub.on("message", (channel: string, payload: string) => {
  const cut = payload.indexOf("\n");
  if (payload.slice(0, cut) === instance) return; // delivered here already
  const skip = payload.slice(cut + 1, payload.indexOf("\n", cut + 1));
  deliver(channel.slice(5), payload.slice(payload.indexOf("\n", cut + 1) + 1), skip);
});

function deliver(roomId: string, text: string, skipUserId = "") {
  for (const conn of rooms.get(roomId) ?? []) {
    if (conn.user.id !== skipUserId && conn.socket.readyState === WebSocket.OPEN) conn.write(text);
  }
}

/** To the room's members here and, through Redis, on every other instance. */
function broadcast(roomId: string, event: string, data: unknown, skipUserId = "") {
  const text = JSON.stringify({ event, data });
  deliver(roomId, text, skipUserId);
  void pub.publish(`room:${roomId}`, `${instance}\n${skipUserId}\n${text}`);
}

const reply = (conn: Conn, id: unknown, data: unknown) =>
  conn.write(JSON.stringify({ event: "ack", id, data }));
const fail = (conn: Conn, id: unknown, code: string) =>
  conn.write(JSON.stringify({ event: "error", id, error: { code, message: code } }));

function member(conn: Conn, roomId: unknown): roomId is string {
  if (typeof roomId !== "string") return false;
  return durable ? isMember!.get(roomId, conn.user.id) !== undefined : true;
}

async function join(conn: Conn, roomId: string) {
  conn.rooms.add(roomId);
  let set = rooms.get(roomId);
  if (!set) {
    rooms.set(roomId, set = new Set());
    await sub.subscribe(`room:${roomId}`);
  }
  set.add(conn);
}

function handle(conn: Conn, text: string) {
  const f = JSON.parse(text) as { event: string; data: Record<string, unknown>; id: unknown };
  const d = f.data ?? {};
  switch (f.event) {
    case "join-room":
      if (!member(conn, d.roomId)) return fail(conn, f.id, "NOT_FOUND");
      return void join(conn, d.roomId).then(() => reply(conn, f.id, { roomId: d.roomId }));
    case "typing":
      if (!conn.rooms.has(d.roomId as string)) return;
      return broadcast(d.roomId as string, "user-typing", {
        userId: conn.user.id,
        roomId: d.roomId,
        isTyping: d.isTyping === true,
      }, conn.user.id);
    case "send-message": {
      if (typeof d.message !== "string" || !member(conn, d.roomId)) {
        return fail(conn, f.id, "NOT_FOUND");
      }
      const message: Record<string, unknown> & { roomId: string } = {
        id: crypto.randomUUID(),
        roomId: d.roomId,
        senderId: conn.user.id,
        senderRole: conn.user.role,
        type: "text",
        text: d.message,
        clientMessageId: (d.clientMessageId as string | undefined) ?? crypto.randomUUID(),
        createdAt: new Date().toISOString(),
      };
      message.seq = store(message);
      broadcast(message.roomId, "message-received", {
        message,
        sender: { id: conn.user.id, role: conn.user.role },
      });
      return reply(conn, f.id, { messageId: message.id, seq: message.seq, roomId: message.roomId });
    }
    case "mark-read":
      if (!conn.rooms.has(d.roomId as string)) return fail(conn, f.id, "NOT_FOUND");
      markRead?.run(d.roomId as string, conn.user.id, Number(d.seq) || 0, new Date().toISOString());
      broadcast(d.roomId as string, "message-read", {
        roomId: d.roomId,
        userId: conn.user.id,
        seq: d.seq,
      }, conn.user.id);
      return reply(conn, f.id, { roomId: d.roomId, seq: d.seq });
  }
}

async function user(req: Request) {
  if (!durable) return { id: crypto.randomUUID(), role: "Agent" };
  const token = new URL(req.url).searchParams.get("token") ?? "";
  const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
  return { id: String(payload.id), role: String(payload.role) };
}

await Promise.all([pub.ping(), sub.ping()]);
Deno.serve(
  { hostname: "127.0.0.1", port: Number(env("PORT")), onListen: () => {} },
  async (req) => {
    if (req.headers.get("upgrade") !== "websocket") {
      return new Response(null, { status: new URL(req.url).pathname === "/health" ? 200 : 404 });
    }
    const who = await user(req).catch(() => null);
    if (!who) return new Response("Unauthorized", { status: 401 });
    const protocol = chooseProtocol(req.headers.get("sec-websocket-protocol"));
    const { socket, response } = Deno.upgradeWebSocket(req, protocol ? { protocol } : {});
    const batched = protocol === batchedProtocol;
    const conn: Conn = {
      socket,
      user: who,
      write: batched ? batchingWriter(socket, () => {}, flusher) : plainWriter(socket),
      rooms: new Set(),
    };
    socket.onopen = () => conn.write(JSON.stringify({ event: "connected", data: {} }));
    socket.onmessage = (e) => {
      for (const line of batched ? linesOf(String(e.data)) : [String(e.data)]) {
        try {
          handle(conn, line);
        } catch {
          fail(conn, undefined, "BAD_FRAME");
        }
      }
    };
    socket.onclose = () => {
      for (const roomId of conn.rooms) rooms.get(roomId)?.delete(conn);
    };
    return response;
  },
);
Deno.addSignalListener("SIGTERM", () => {
  pub.disconnect();
  sub.disconnect();
  db?.close();
  Deno.exit(0);
});
