import type { Deps } from "@/deps.ts";
import { channels } from "@/bus/bus.ts";
import { AppError } from "@/errors.ts";
import type { AuthContext } from "@/modules/auth/context.ts";
import { type ChatService, readSeqFor } from "@/modules/chat/service.ts";
import type { Message } from "@/modules/chat/repository.ts";
import { errorMessage } from "@/log.ts";
import type { CallService } from "./calls.ts";
import type { PresenceService } from "./presence.ts";
import { Channels } from "./channels.ts";
import { createFloodGuard, type Verdict } from "./flood.ts";
import { createRooms, type RoomState } from "./rooms.ts";
import {
  type ClientData,
  type ClientEvent,
  errorFrame,
  frame,
  idOf,
  maxFrameBytes,
  parseFrame,
  utf8Over,
} from "./protocol.ts";
import { batchingWriter, createFlusher, linesOf, plainWriter, type Writer } from "./wire.ts";

/** One open socket. */
interface Connection {
  socket: WebSocket;
  userId: string;
  orgId: string;
  role: AuthContext["role"];
  /** Frames sent, to pace the buffered-amount check. */
  sent: number;
  /** Sends its events: one per frame, or (the batched mode) those of one turn in one frame. */
  write: Writer;
  /** The batched mode: a client frame may also hold several lines, each handled as a frame. */
  batched: boolean;
  /** Set for an API key's socket: an integration, within its scopes. */
  integration?: AuthContext["integration"];
}

/** What a key's socket may send, by the scope each event needs (the rest is a user's only). */
const integrationEvents: Partial<Record<ClientEvent, readonly string[]>> = {
  "join-room": ["chat:read", "chat:write"],
  "leave-room": ["chat:read", "chat:write"],
  "mark-read": ["chat:read", "chat:write"],
  ping: ["chat:read", "chat:write"],
  "send-message": ["chat:write"],
  typing: ["chat:write"],
};

function integrationMaySend(conn: Connection, event: ClientEvent): void {
  const scopes = conn.integration?.scopes;
  if (scopes && !(integrationEvents[event] ?? []).some((s) => scopes.includes(s))) {
    throw new AppError("FORBIDDEN", `An API key with these scopes may not send ${event}`);
  }
}

export interface Hub {
  /** Takes over an upgraded socket of an authenticated caller, in the mode it negotiated. */
  accept(
    socket: WebSocket,
    auth: AuthContext & { orgId: string },
    options?: { batched?: boolean },
  ): void;
  /**
   * A message stored by this instance, for its sockets at once: they need not wait for the bus
   * (which may be down). The `message.created` listener of the composition root.
   */
  offer(message: Message): void;
  /** Open sockets on this instance. */
  size(): number;
  /** Closes every socket with 1001 (going away) and stops the timers. */
  close(): Promise<void>;
}

/** The logged form of an unexpected error: its message and, once, its stack. */
const failure = (err: unknown) => ({
  error: errorMessage(err),
  ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
});

/** A stored message as the bus carries it, checked before anything trusts its fields. */
function messageOf(payload: unknown, roomId: string): Message | null {
  const m = (payload as { data?: { message?: Message } })?.data?.message;
  return m && typeof m === "object" && Number.isSafeInteger(m.seq) && m.seq > 0 &&
      m.roomId === roomId
    ? m
    : null;
}

export function createHub(
  deps: Pick<Deps, "bus" | "config" | "log" | "clock" | "store" | "shared">,
  services: {
    chat: ChatService;
    calls: CallService;
    presence: PresenceService;
    /** Told about every frame in and out (metrics), when given. */
    frames?: { received(): void; sent(): void };
  },
): Hub {
  const { chat, calls, presence, frames } = services;
  const limits = deps.config.realtime;
  const connections = new Set<Connection>();
  // Sockets accepted and not yet open. Deno 2.9 never opens nor closes one whose client left
  // while its upgrade was answered, and its graceful shutdown waits for it: counted at close.
  const upgrading = new Set<WebSocket>();
  const byUser = new Map<string, Set<Connection>>();
  const flusher = createFlusher(
    limits.batchDelayMs,
    (err) => deps.log.error("batched flush failed", { error: String(err) }),
  );
  const flood = createFloodGuard({ shared: deps.shared, log: deps.log }, {
    ratePerSecond: limits.ratePerSecond,
    burst: limits.rateBurst,
  });

  function send(conn: Connection, text: string) {
    if (conn.socket.readyState !== WebSocket.OPEN) return;
    // A reader that cannot keep up is closed rather than buffered without bound. Asking for
    // the buffered amount crosses into the runtime, so it is asked every 16th frame.
    if ((++conn.sent & 15) === 0 && conn.socket.bufferedAmount > limits.maxBufferedBytes) {
      deps.log.warn("closing a slow socket", { userId: conn.userId });
      conn.socket.close(1013, "Too slow to read");
      return;
    }
    conn.write(text);
    frames?.sent();
  }

  const roomChannels = new Channels<RoomState<Connection>>(deps.bus, deps.log, (channel, p) => {
    const roomId = channels.roomOf(channel)!;
    const e = p as { event?: unknown; data?: { userId?: unknown } } | null;
    if (e?.event === "message-received") {
      const message = messageOf(e, roomId);
      if (message) rooms.offer(roomId, message);
      else deps.log.warn("malformed room payload on the bus; dropped", { channel });
      return;
    }
    if (e?.event !== "user-typing" && e?.event !== "message-read") {
      deps.log.warn("unknown room event on the bus; dropped", { channel });
      return;
    }
    const text = frame(e.event, e.data);
    // A read position goes to a customer in their own seqs (which skip the notes).
    let theirs: string | undefined;
    const customerText = () => {
      if (e.event !== "message-read") return text;
      const { customerSeq, ...data } = e.data as { seq: number; customerSeq?: number };
      return theirs ??= frame(e.event, { ...data, seq: customerSeq ?? data.seq });
    };
    for (const conn of rooms.members(roomId)) {
      if (e.event === "user-typing" && e.data?.userId === conn.userId) continue;
      if (conn.role === "Customer" && (e.data as { note?: unknown })?.note) continue;
      send(conn, conn.role === "Customer" ? customerText() : text);
    }
  });
  const rooms = createRooms<Connection>(deps, roomChannels, send);

  // user:… and org:… channels carry {event, data} envelopes for every socket subscribed.
  const userChannels = new Channels<Connection>(deps.bus, deps.log, (channel, p, members) => {
    const e = p as { event?: unknown; data?: unknown } | null;
    if (typeof e?.event !== "string") {
      deps.log.warn("malformed payload on the bus; dropped", { channel });
      return;
    }
    const text = frame(e.event, e.data);
    for (const conn of members) {
      if (channels.isOrg(channel) && conn.role === "Customer") continue;
      send(conn, text);
    }
  });

  // The bus lost payloads (Redis restarted, dropped this subscriber, a publish failed): every
  // room catches up from the store.
  deps.bus.onRestored(() => rooms.restore());

  const actor = (c: Connection) => ({
    userId: c.userId,
    orgId: c.orgId,
    role: c.role,
    ...(c.integration
      ? { integration: { keyId: c.integration.keyId, name: c.integration.name } }
      : {}),
  });

  const handlers: {
    [E in ClientEvent]: (conn: Connection, data: ClientData<E>) => Promise<unknown>;
  } = {
    async "join-room"(conn, data) {
      const room = await chat.readable(actor(conn), data.roomId);
      const lastSeq = await rooms.join(conn, room, data.sinceSeq);
      return { roomId: room.id, lastSeq };
    },
    async "leave-room"(conn, data) {
      await rooms.leave(conn, data.roomId);
      return { roomId: data.roomId };
    },
    async "send-message"(conn, data) {
      const { message, duplicate } = await chat.send(actor(conn), data.roomId, {
        text: data.message,
        type: data.type,
        ...(data.fileId ? { fileId: data.fileId } : {}),
        ...(data.clientMessageId ? { clientMessageId: data.clientMessageId } : {}),
        ...(data.mentions ? { mentions: data.mentions } : {}),
      });
      const seq = conn.role === "Customer" ? message.customerSeq : message.seq;
      return { messageId: message.id, seq, roomId: message.roomId, duplicate };
    },
    async typing(conn, data) {
      await chat.typing(actor(conn), data.roomId, data.isTyping, data.note);
      return {};
    },
    async "mark-read"(conn, data) {
      const read = await chat.markRead(
        actor(conn),
        data.roomId,
        data.seq,
        rooms.lastMessage(data.roomId),
      );
      return { roomId: read.roomId, seq: readSeqFor(conn.role, read) };
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
      const callId = await calls.resolve(actor(conn), data);
      const call = await calls.answer(actor(conn), callId, data.answer);
      return { callId: call.id, status: call.status };
    },
    async "ice-candidate"(conn, data) {
      const callId = await calls.resolve(actor(conn), data);
      await calls.iceCandidate(actor(conn), callId, data.candidate);
      return { callId };
    },
    async "reject-call"(conn, data) {
      await calls.get(actor(conn), data.callId);
      await calls.end(conn.orgId, data.callId, "rejected", conn.userId);
      return { callId: data.callId };
    },
    async "end-call"(conn, data) {
      const callId = await calls.resolve(actor(conn), data);
      await calls.get(actor(conn), callId);
      await calls.end(conn.orgId, callId, "completed", conn.userId);
      return { callId };
    },
    async ping() {
      return { at: deps.clock.now().toISOString() };
    },
  };

  async function onFrame(conn: Connection, raw: string | ArrayBuffer | Blob) {
    let id: string | number | undefined;
    let event: string | undefined;
    try {
      if (typeof raw !== "string") {
        send(
          conn,
          errorFrame(undefined, { code: "BAD_REQUEST", message: "Frames must be JSON text" }),
        );
        return;
      }
      const parsed = parseFrame(raw);
      id = parsed.id;
      if (!parsed.ok) {
        const { ok: _ok, id: _id, ...error } = parsed;
        send(conn, errorFrame(id, error));
        return;
      }
      event = parsed.event;
      integrationMaySend(conn, parsed.event);
      const handler = handlers[parsed.event] as (c: Connection, d: unknown) => Promise<unknown>;
      const result = await handler(conn, parsed.data);
      // A frame without an id asks for no answer (a widget's typing): only its failure is told.
      if (parsed.id !== undefined) send(conn, frame("ack", result, parsed.id));
    } catch (err) {
      const known = err instanceof AppError;
      if (!known) {
        deps.log.error("socket frame failed", { event, userId: conn.userId, ...failure(err) });
      }
      send(
        conn,
        errorFrame(
          id,
          known
            ? { code: err.code, message: err.message }
            : { code: "INTERNAL", message: "Internal error" },
        ),
      );
    }
  }

  /** The id of a refused frame, read only from frames small enough to be worth parsing. */
  function refusedId(raw: unknown): string | number | undefined {
    if (typeof raw !== "string" || utf8Over(raw, maxFrameBytes)) return undefined;
    try {
      return idOf(JSON.parse(raw));
    } catch {
      return undefined;
    }
  }

  /**
   * The flood rule for one frame (or one line of a batched frame), judged on arrival before it
   * waits its turn: a refused one is answered `RATE_LIMITED`, and past the debt the socket closes.
   */
  function judged(conn: Connection, raw: unknown): Verdict {
    const verdict = flood.judge(conn.userId);
    if (verdict === "allow") return verdict;
    send(
      conn,
      errorFrame(refusedId(raw), { code: "RATE_LIMITED", message: "Too many frames, slow down" }),
    );
    if (verdict === "close" && conn.socket.readyState === WebSocket.OPEN) {
      setTimeout(() => conn.socket.close(1008, "Too many frames"), 0);
    }
    return verdict;
  }

  async function opened(conn: Connection) {
    connections.add(conn);
    let mine = byUser.get(conn.userId);
    if (!mine) byUser.set(conn.userId, mine = new Set());
    // Decided before any await, so two sockets opening at once cannot both think the other first.
    const first = mine.size === 0;
    mine.add(conn);
    await flood.opened(conn.userId);
    await userChannels.add(channels.user(conn.userId), conn);
    await userChannels.add(channels.org(conn.orgId), conn);
    // Shared state may be down with the bus: the socket still serves, presence is late. A key
    // is no one's presence.
    if (first && !conn.integration) {
      await presence.connected(conn.orgId, conn.userId).catch((err) =>
        deps.log.warn("presence not recorded", { userId: conn.userId, error: String(err) })
      );
    }
  }

  /** Each step of a socket's cleanup runs whatever the others did; none throws past here. */
  async function closed(conn: Connection) {
    if (!connections.delete(conn)) return;
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        deps.log.error("socket cleanup step failed", {
          step: what,
          userId: conn.userId,
          ...failure(err),
        });
      }
    };
    await step("rooms", () => rooms.leaveAll(conn));
    await step("channels", async () => {
      await userChannels.remove(channels.user(conn.userId), conn);
      await userChannels.remove(channels.org(conn.orgId), conn);
    });
    await step("flood budget", () => flood.closed(conn.userId));
    const mine = byUser.get(conn.userId);
    mine?.delete(conn);
    if (mine && mine.size === 0) {
      byUser.delete(conn.userId);
      if (conn.integration) return;
      await step("calls", () => calls.dropped(conn.orgId, conn.userId));
      await step("presence", () => presence.disconnected(conn.orgId, conn.userId));
    }
  }

  const sweep = setInterval(() => {
    presence.sweep().catch((err) => deps.log.warn("presence sweep failed", { error: String(err) }));
  }, Math.max(1000, (limits.presenceTtlSeconds * 1000) / 3));
  // Messages stored and never published (their instance died, their publish failed) are found
  // by comparing each joined room with the store now and then.
  let checking = false;
  const resync = setInterval(() => {
    if (checking) return;
    checking = true;
    Promise.all([rooms.check(), roomChannels.retry(), userChannels.retry()])
      .catch((err) => deps.log.warn("room check failed", { error: String(err) }))
      .finally(() => checking = false);
  }, limits.resyncSeconds * 1000);

  return {
    accept(socket, auth, options = {}) {
      const batched = options.batched === true;
      const conn: Connection = {
        socket,
        userId: auth.userId,
        orgId: auth.orgId,
        role: auth.role,
        sent: 0,
        write: batched
          ? batchingWriter(
            socket,
            (err) =>
              deps.log.warn("batched frame not sent", { userId: auth.userId, error: String(err) }),
            flusher,
          )
          : plainWriter(socket),
        batched,
        ...(auth.integration ? { integration: auth.integration } : {}),
      };
      // Frames are handled one at a time per socket, in order, after the socket is set up.
      upgrading.add(socket);
      let queue = new Promise<void>((resolve) => {
        socket.addEventListener("open", () => {
          upgrading.delete(socket);
          opened(conn).then(() => send(conn, frame("connected", { userId: conn.userId })))
            .catch((err) => deps.log.error("socket setup failed", failure(err)))
            .finally(resolve);
        }, { once: true });
      });
      socket.addEventListener("message", (e) => {
        frames?.received();
        const parts = conn.batched && typeof e.data === "string" ? linesOf(e.data) : [e.data];
        for (const part of parts) {
          const verdict = judged(conn, part);
          if (verdict === "close") break;
          if (verdict === "refuse") continue;
          queue = queue.then(() => onFrame(conn, part)).catch((err) =>
            deps.log.error("socket frame failed", failure(err))
          );
        }
      });
      socket.addEventListener("close", () => {
        upgrading.delete(socket);
        queue = queue.then(() => closed(conn)).catch((err) =>
          deps.log.error("socket cleanup failed", failure(err))
        );
      });
    },
    offer: (message) => rooms.offer(message.roomId, message),
    size: () => connections.size,
    async close() {
      clearInterval(sweep);
      clearInterval(resync);
      calls.close();
      if (upgrading.size > 0) {
        deps.log.warn("WebSocket upgrades never completed: their clients left while answered", {
          count: upgrading.size,
        });
      }
      for (const conn of [...connections]) {
        conn.socket.close(1001, "Server shutting down");
        await closed(conn);
      }
    },
  };
}
