import type { Deps } from "@/deps.ts";
import { type Bus, channels, type Unsubscribe } from "@/bus/bus.ts";
import { AppError } from "@/errors.ts";
import type { AuthContext } from "@/modules/auth/context.ts";
import type { ChatService, RoomEvent } from "@/modules/chat/service.ts";
import type { Message } from "@/modules/chat/repository.ts";
import { errorMessage } from "@/log.ts";
import type { CallService } from "./calls.ts";
import type { PresenceService } from "./presence.ts";
import { type ClientData, type ClientEvent, errorFrame, frame, parseFrame } from "./protocol.ts";

/** One open socket and what it has joined. */
interface Connection {
  socket: WebSocket;
  userId: string;
  orgId: string;
  role: AuthContext["role"];
  /** Rooms joined; made on the first join (most sockets of a large instance sit idle). */
  rooms: Map<string, RoomCursor> | null;
  tokens: number;
  refilledAt: number;
  strikes: number;
  /** Frames sent, to pace the buffered-amount check. */
  sent: number;
}

/** Where a socket stands in a room: messages up to `lastSeq` were sent; live ones wait while catching up. */
interface RoomCursor {
  lastSeq: number;
  catchingUp: boolean;
  pending: Message[];
}

/** A bus subscription shared by the sockets of this instance that need it. */
interface Shared {
  members: Set<Connection>;
  ready: Promise<Unsubscribe>;
}

export interface Hub {
  /** Takes over an upgraded socket of an authenticated caller. */
  accept(socket: WebSocket, auth: AuthContext & { orgId: string }): void;
  /** Open sockets on this instance. */
  size(): number;
  /** Closes every socket with 1001 (going away) and stops the timers. */
  close(): Promise<void>;
}

class Subscriptions {
  readonly #subs = new Map<string, Shared>();
  constructor(
    private bus: Bus,
    private onEvent: (channel: string, payload: unknown, members: Set<Connection>) => void,
  ) {}

  async add(channel: string, conn: Connection): Promise<void> {
    let shared = this.#subs.get(channel);
    if (!shared) {
      const members = new Set<Connection>();
      shared = {
        members,
        ready: this.bus.subscribe(channel, (payload) => this.onEvent(channel, payload, members)),
      };
      this.#subs.set(channel, shared);
    }
    shared.members.add(conn);
    await shared.ready;
  }

  async remove(channel: string, conn: Connection): Promise<void> {
    const shared = this.#subs.get(channel);
    if (!shared || !shared.members.delete(conn) || shared.members.size > 0) return;
    this.#subs.delete(channel);
    await (await shared.ready)();
  }
}

export function createHub(
  deps: Pick<Deps, "bus" | "config" | "log" | "clock">,
  services: { chat: ChatService; calls: CallService; presence: PresenceService },
): Hub {
  const { chat, calls, presence } = services;
  const limits = deps.config.realtime;
  const connections = new Set<Connection>();
  const byUser = new Map<string, Set<Connection>>();

  function send(conn: Connection, text: string) {
    if (conn.socket.readyState !== WebSocket.OPEN) return;
    // A reader that cannot keep up is closed rather than buffered without bound. Asking for
    // the buffered amount crosses into the runtime, so it is asked every 16th frame.
    if ((++conn.sent & 15) === 0 && conn.socket.bufferedAmount > limits.maxBufferedBytes) {
      deps.log.warn("closing a slow socket", { userId: conn.userId });
      conn.socket.close(1013, "Too slow to read");
      return;
    }
    conn.socket.send(text);
  }

  /** The frame of a message, built once however many sockets it goes to. */
  const messageFrame = (message: Message) =>
    frame("message-received", {
      message,
      sender: { id: message.senderId, role: message.senderRole },
    });

  function deliverMessage(conn: Connection, roomId: string, message: Message, text?: string) {
    const cursor = conn.rooms?.get(roomId);
    if (!cursor) return;
    if (cursor.catchingUp) {
      cursor.pending.push(message);
      return;
    }
    if (message.seq <= cursor.lastSeq) return;
    cursor.lastSeq = message.seq;
    send(
      conn,
      text ?? messageFrame(message),
    );
  }

  const subs = new Subscriptions(deps.bus, (channel, payload, members) => {
    if (channel.startsWith("room:")) {
      const roomId = channel.slice(5);
      const e = payload as RoomEvent;
      if (e.event === "message-received") {
        const text = messageFrame(e.data.message);
        for (const conn of members) deliverMessage(conn, roomId, e.data.message, text);
        return;
      }
      const text = frame(e.event, e.data);
      for (const conn of members) {
        if (e.event === "user-typing" && e.data.userId === conn.userId) continue;
        send(conn, text);
      }
      return;
    }
    // user:… and org:… channels carry {event, data} envelopes for every socket subscribed.
    const e = payload as { event: string; data: unknown };
    const text = frame(e.event, e.data);
    for (const conn of members) {
      if (channel.startsWith("org:") && conn.role === "Customer") continue;
      send(conn, text);
    }
  });

  /** Token bucket per socket: over the rate frames are refused; persisting, the socket closes. */
  function allow(conn: Connection): boolean {
    const t = performance.now();
    conn.tokens = Math.min(
      limits.rateBurst,
      conn.tokens + ((t - conn.refilledAt) / 1000) * limits.ratePerSecond,
    );
    conn.refilledAt = t;
    if (conn.tokens >= 1) {
      conn.tokens -= 1;
      conn.strikes = 0;
      return true;
    }
    if (++conn.strikes > limits.rateBurst && conn.socket.readyState === WebSocket.OPEN) {
      setTimeout(() => conn.socket.close(1008, "Too many frames"), 0);
    }
    return false;
  }

  const actor = (c: Connection) => ({ userId: c.userId, orgId: c.orgId, role: c.role });

  async function joinRoom(conn: Connection, data: ClientData<"join-room">) {
    const room = await chat.readable(actor(conn), data.roomId);
    const cursor: RoomCursor = { lastSeq: data.sinceSeq ?? 0, catchingUp: true, pending: [] };
    (conn.rooms ??= new Map()).set(room.id, cursor);
    // Subscribe first, then read what is stored: nothing falls between the two.
    await subs.add(channels.room(room.id), conn);
    if (data.sinceSeq === undefined) {
      cursor.lastSeq = (await chat.messages(actor(conn), room.id, { limit: 1 })).at(-1)?.seq ?? 0;
    } else {
      for (;;) {
        const batch = await chat.messages(actor(conn), room.id, {
          afterSeq: cursor.lastSeq,
          limit: 200,
        });
        for (const message of batch) {
          cursor.lastSeq = message.seq;
          send(
            conn,
            frame("message-received", {
              message,
              sender: { id: message.senderId, role: message.senderRole },
            }),
          );
        }
        if (batch.length < 200) break;
      }
    }
    cursor.catchingUp = false;
    for (const message of cursor.pending.sort((a, b) => a.seq - b.seq)) {
      deliverMessage(conn, room.id, message);
    }
    cursor.pending = [];
    return { roomId: room.id, lastSeq: cursor.lastSeq };
  }

  const handlers: {
    [E in ClientEvent]: (conn: Connection, data: ClientData<E>) => Promise<unknown>;
  } = {
    "join-room": joinRoom,
    async "leave-room"(conn, data) {
      conn.rooms?.delete(data.roomId);
      await subs.remove(channels.room(data.roomId), conn);
      return { roomId: data.roomId };
    },
    async "send-message"(conn, data) {
      const { message, duplicate } = await chat.send(actor(conn), data.roomId, {
        text: data.message,
        type: data.type,
        ...(data.fileId ? { fileId: data.fileId } : {}),
        ...(data.clientMessageId ? { clientMessageId: data.clientMessageId } : {}),
      });
      return { messageId: message.id, seq: message.seq, roomId: message.roomId, duplicate };
    },
    async typing(conn, data) {
      await chat.typing(actor(conn), data.roomId, data.isTyping);
      return {};
    },
    async "mark-read"(conn, data) {
      const read = await chat.markRead(actor(conn), data.roomId, data.seq);
      return { roomId: read.roomId, seq: read.seq };
    },
    async presence(conn, data) {
      await presence.setStatus(conn.orgId, conn.userId, data.status);
      return { status: data.status };
    },
    async "call-user"(conn, data) {
      const call = await calls.start(actor(conn), data.to, data.offer, data.callType);
      return { callId: call.id, status: call.status, outcome: call.outcome };
    },
    async "answer-call"(conn, data) {
      const call = await calls.answer(actor(conn), data.callId, data.answer);
      return { callId: call.id, status: call.status };
    },
    async "ice-candidate"(conn, data) {
      await calls.iceCandidate(actor(conn), data.callId, data.candidate);
      return { callId: data.callId };
    },
    async "reject-call"(conn, data) {
      await calls.get(actor(conn), data.callId);
      await calls.end(conn.orgId, data.callId, "rejected", conn.userId);
      return { callId: data.callId };
    },
    async "end-call"(conn, data) {
      await calls.get(actor(conn), data.callId);
      await calls.end(conn.orgId, data.callId, "completed", conn.userId);
      return { callId: data.callId };
    },
    async ping() {
      return { at: deps.clock.now().toISOString() };
    },
  };

  async function onFrame(conn: Connection, raw: string | ArrayBuffer | Blob) {
    if (typeof raw !== "string") {
      send(
        conn,
        errorFrame(undefined, { code: "BAD_REQUEST", message: "Frames must be JSON text" }),
      );
      return;
    }
    const parsed = parseFrame(raw);
    if (!parsed.ok) {
      const { ok: _ok, id, ...error } = parsed;
      send(conn, errorFrame(id, error));
      return;
    }
    try {
      const handler = handlers[parsed.event] as (c: Connection, d: unknown) => Promise<unknown>;
      const result = await handler(conn, parsed.data);
      send(conn, frame("ack", result, parsed.id ?? ""));
    } catch (err) {
      const known = err instanceof AppError;
      if (!known) {
        deps.log.error("socket handler failed", { event: parsed.event, error: errorMessage(err) });
      }
      send(
        conn,
        errorFrame(
          parsed.id,
          known
            ? { code: err.code, message: err.message }
            : { code: "INTERNAL", message: "Internal error" },
        ),
      );
    }
  }

  async function opened(conn: Connection) {
    connections.add(conn);
    let mine = byUser.get(conn.userId);
    if (!mine) byUser.set(conn.userId, mine = new Set());
    mine.add(conn);
    await subs.add(channels.user(conn.userId), conn);
    await subs.add(channels.org(conn.orgId), conn);
    if (mine.size === 1) await presence.connected(conn.orgId, conn.userId);
  }

  async function closed(conn: Connection) {
    if (!connections.delete(conn)) return;
    for (const roomId of conn.rooms?.keys() ?? []) await subs.remove(channels.room(roomId), conn);
    await subs.remove(channels.user(conn.userId), conn);
    await subs.remove(channels.org(conn.orgId), conn);
    const mine = byUser.get(conn.userId);
    mine?.delete(conn);
    if (mine && mine.size === 0) {
      byUser.delete(conn.userId);
      await calls.dropped(conn.orgId, conn.userId);
      await presence.disconnected(conn.orgId, conn.userId);
    }
  }

  const sweep = setInterval(() => {
    presence.sweep().catch((err) => deps.log.warn("presence sweep failed", { error: String(err) }));
  }, Math.max(1000, (limits.presenceTtlSeconds * 1000) / 3));

  return {
    accept(socket, auth) {
      const conn: Connection = {
        socket,
        userId: auth.userId,
        orgId: auth.orgId,
        role: auth.role,
        rooms: null,
        tokens: limits.rateBurst,
        refilledAt: performance.now(),
        strikes: 0,
        sent: 0,
      };
      // Frames are handled one at a time per socket, in order, after the socket is set up.
      let queue = new Promise<void>((resolve) => {
        socket.addEventListener("open", () => {
          opened(conn).then(() => send(conn, frame("connected", { userId: conn.userId })))
            .catch((err) => deps.log.error("socket setup failed", { error: errorMessage(err) }))
            .finally(resolve);
        }, { once: true });
      });
      socket.addEventListener("message", (e) => {
        // The rate is judged on arrival, before the frame waits its turn.
        if (!allow(conn)) {
          send(
            conn,
            errorFrame(undefined, { code: "RATE_LIMITED", message: "Too many frames, slow down" }),
          );
          return;
        }
        queue = queue.then(() => onFrame(conn, e.data));
      });
      socket.addEventListener("close", () => {
        queue = queue.then(() => closed(conn)).catch((err) =>
          deps.log.error("socket cleanup failed", { error: errorMessage(err) })
        );
      });
    },
    size: () => connections.size,
    async close() {
      clearInterval(sweep);
      calls.close();
      for (const conn of [...connections]) {
        conn.socket.close(1001, "Server shutting down");
        await closed(conn);
      }
    },
  };
}
