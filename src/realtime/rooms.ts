import type { Deps } from "@/deps.ts";
import { channels as channelNames } from "@/bus/bus.ts";
import {
  customerView,
  isNote,
  type Message,
  messageView,
  type Room,
} from "@/modules/chat/repository.ts";
import type { Channels } from "./channels.ts";
import { RoomFeed } from "./feed.ts";
import { frame } from "./protocol.ts";

/** What the room registry needs of a socket. */
export interface Reader {
  socket: WebSocket;
  userId: string;
  /** A customer's socket never gets a note, and sees its own seqs (`customerSeq`). */
  role: string;
  /** Sends one event through the socket's wire mode, in order with everything else it is sent. */
  write(text: string): void;
}

/** Where a socket stands in a room: every seq up to `lastSeq` went out to it, in order. */
interface Cursor {
  lastSeq: number;
  /** The customer's seq at `lastSeq` (their position, for a customer's socket). */
  customerSeq: number;
  /** Live messages go out as the feed emits them; otherwise a catch-up reads them from the store. */
  live: boolean;
  catching: Promise<void> | null;
}

/** A room with members on this instance: one feed, one bus subscription. */
export interface RoomState<C extends Reader> {
  roomId: string;
  orgId: string;
  members: Map<C, Cursor>;
  feed: RoomFeed | null;
  /** Messages offered before the feed started. */
  early: Message[];
  ready: Promise<void>;
}

/** The frame of a message, built once however many sockets it goes to. */
export const messageFrame = (message: Message, customer = false) =>
  frame("message-received", {
    message: customer ? customerView(message) : messageView(message),
    sender: { id: message.senderId, role: message.senderRole },
  });

/**
 * Moves the cursor past the message; the frame the socket gets for it, or null (a note, for a
 * customer: passed over without a trace, their seqs have no hole for it).
 */
function pass(cursor: Cursor, customer: boolean, message: Message, frames: Frames) {
  cursor.lastSeq = message.seq;
  cursor.customerSeq = message.customerSeq;
  if (!customer) return frames.staff ??= messageFrame(message);
  if (isNote(message)) return null;
  return frames.customer ??= messageFrame(message, true);
}

type Frames = { staff?: string; customer?: string };
const isCustomer = (reader: Reader) => reader.role === "Customer";

const page = 200;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The rooms joined on this instance and gap-free delivery into them: each room's feed emits its
 * messages once and in seq order; a socket behind the feed (joined with `sinceSeq`, or after a
 * gap) catches up from the store, paced by its send buffer, then follows the feed live.
 */
export function createRooms<C extends Reader>(
  deps: Pick<Deps, "store" | "log" | "config">,
  channels: Channels<RoomState<C>>,
  send: (conn: C, text: string) => void,
  options: { stallMs?: number; holeMs?: number } = {},
) {
  const rooms = new Map<string, RoomState<C>>();
  const joined = new WeakMap<C, Set<string>>();
  const maxBuffered = deps.config.realtime.maxBufferedBytes;
  const stallMs = options.stallMs ?? 30_000;
  const open = (c: C) => c.socket.readyState === WebSocket.OPEN;

  /** Waits while the socket's unsent data is over half the limit; false if it closed or stalled. */
  async function paced(conn: C): Promise<boolean> {
    let last = conn.socket.bufferedAmount;
    if (last <= maxBuffered / 2) return open(conn);
    let progressAt = Date.now();
    while (open(conn) && conn.socket.bufferedAmount > maxBuffered / 4) {
      await delay(20);
      const now = conn.socket.bufferedAmount;
      if (now < last) {
        last = now;
        progressAt = Date.now();
      } else if (Date.now() - progressAt > stallMs) {
        deps.log.warn("closing a socket that stopped reading", { userId: conn.userId });
        conn.socket.close(1013, "Too slow to read");
        return false;
      }
    }
    return open(conn);
  }

  function emit(state: RoomState<C>, message: Message) {
    const frames: Frames = {};
    for (const [conn, cursor] of state.members) {
      if (!cursor.live || message.seq <= cursor.lastSeq) continue;
      if (
        message.seq !== cursor.lastSeq + 1 &&
        !state.feed!.holesBetween(cursor.lastSeq, message.seq)
      ) {
        void catchUp(conn, state, cursor);
        continue;
      }
      const text = pass(cursor, isCustomer(conn), message, frames);
      if (text) send(conn, text);
    }
  }

  /** Sends the socket what it lacks up to the feed's head, from the store, then turns it live. */
  function catchUp(conn: C, state: RoomState<C>, cursor: Cursor): Promise<void> {
    if (cursor.catching) return cursor.catching;
    cursor.live = false;
    const mine = () => state.members.get(conn) === cursor && open(conn);
    cursor.catching = (async () => {
      let idle = 0;
      let sent = 0;
      try {
        while (mine() && cursor.lastSeq < state.feed!.head && idle < 50) {
          const batch = await deps.store.messages.list(state.orgId, state.roomId, {
            afterSeq: cursor.lastSeq,
            limit: page,
          });
          const before = cursor.lastSeq;
          for (const m of batch) {
            if (m.seq <= cursor.lastSeq) continue;
            // A seq the store does not show yet, which the feed has not given up on: the feed
            // sends it when it comes.
            if (m.seq !== cursor.lastSeq + 1 && !state.feed!.holesBetween(cursor.lastSeq, m.seq)) {
              break;
            }
            if ((++sent & 15) === 0 && !(await paced(conn))) return;
            if (!mine()) return;
            const text = pass(cursor, isCustomer(conn), m, {});
            if (text) conn.write(text);
          }
          if (cursor.lastSeq === before) {
            idle++;
            await delay(20);
          } else idle = 0;
        }
      } finally {
        cursor.catching = null;
        // Nothing awaits between the loop's last check of the head and this: no emit falls between.
        if (state.members.get(conn) === cursor) cursor.live = true;
      }
    })();
    return cursor.catching;
  }

  function create(room: Room): RoomState<C> {
    const state: RoomState<C> = {
      roomId: room.id,
      orgId: room.organizationId,
      members: new Map(),
      feed: null,
      early: [],
      ready: Promise.resolve(),
    };
    rooms.set(room.id, state);
    state.ready = (async () => {
      // Subscribe first, then read where the room stands: nothing falls between the two.
      await channels.add(channelNames.room(room.id), state);
      const last = await deps.store.messages.last(state.orgId, state.roomId);
      state.feed = new RoomFeed(last?.seq ?? 0, {
        read: (afterSeq, limit) =>
          deps.store.messages.list(state.orgId, state.roomId, { afterSeq, limit }),
        emit: (message) => emit(state, message),
        log: deps.log,
        ...(options.holeMs ? { holeMs: options.holeMs } : {}),
      });
      for (const message of state.early.splice(0)) state.feed.offer(message);
    })();
    // Its joiners see a failure; nothing else may be left with an unhandled rejection.
    state.ready.catch(() => {});
    return state;
  }

  /** The message a customer's seq names: theirs with that seq, or the last when past it. */
  async function customerAt(state: RoomState<C>, customerSeq: number) {
    if (customerSeq === 0) return null;
    const [at] = await deps.store.messages.list(state.orgId, state.roomId, {
      afterSeq: customerSeq - 1,
      limit: 1,
      customer: true,
    });
    return at?.customerSeq === customerSeq
      ? at
      : await deps.store.messages.last(state.orgId, state.roomId, { customer: true });
  }

  async function leave(conn: C, roomId: string): Promise<void> {
    joined.get(conn)?.delete(roomId);
    const state = rooms.get(roomId);
    if (!state || !state.members.delete(conn) || state.members.size > 0) return;
    rooms.delete(roomId);
    state.feed?.stop();
    await channels.remove(channelNames.room(roomId), state);
  }

  return {
    /**
     * Joins the socket to the room from `sinceSeq` (else from now); resolves with its position.
     * A customer's `sinceSeq` and position are in their own seqs.
     */
    async join(conn: C, room: Room, sinceSeq?: number): Promise<number> {
      const state = rooms.get(room.id) ?? create(room);
      const customer = isCustomer(conn);
      const cursor: Cursor = {
        lastSeq: customer ? 0 : sinceSeq ?? 0,
        customerSeq: 0,
        live: false,
        catching: null,
      };
      state.members.set(conn, cursor);
      let mine = joined.get(conn);
      if (!mine) joined.set(conn, mine = new Set());
      mine.add(room.id);
      try {
        await state.ready;
        const from = sinceSeq === undefined
          ? await deps.store.messages.last(state.orgId, state.roomId)
          : customer
          ? await customerAt(state, sinceSeq)
          : null;
        if (from) {
          cursor.lastSeq = from.seq;
          cursor.customerSeq = from.customerSeq;
        }
        await catchUp(conn, state, cursor);
        return customer ? cursor.customerSeq : cursor.lastSeq;
      } catch (err) {
        // A failed join leaves nothing behind: no cursor, no subscription, no room state.
        if (state.members.get(conn) === cursor) await leave(conn, room.id);
        if (rooms.get(room.id) === state && state.members.size === 0) rooms.delete(room.id);
        throw err;
      }
    },
    leave,
    /** Leaves every room the socket joined. Never throws. */
    async leaveAll(conn: C): Promise<void> {
      for (const roomId of [...joined.get(conn) ?? []]) await leave(conn, roomId);
      joined.delete(conn);
    },
    /** A stored message from the bus or from this instance. */
    offer(roomId: string, message: Message): void {
      const state = rooms.get(roomId);
      if (!state) return;
      if (state.feed) state.feed.offer(message);
      else if (state.early.length < 5000) state.early.push(message);
    },
    /** The room's last message this instance delivered, if it holds the room. */
    lastMessage(roomId: string): Message | null {
      return rooms.get(roomId)?.feed?.last ?? null;
    },
    /** The sockets in a room (for typing and receipts, which need no order). */
    members(roomId: string): Iterable<C> {
      return rooms.get(roomId)?.members.keys() ?? [];
    },
    /**
     * Finds rooms whose store is ahead of their feed (a message stored and never published: its
     * instance died, or its publish failed) and catches them up. One read per organization.
     */
    async check(): Promise<void> {
      const byOrg = new Map<string, RoomState<C>[]>();
      for (const state of rooms.values()) {
        if (!state.feed) continue;
        const list = byOrg.get(state.orgId);
        if (list) list.push(state);
        else byOrg.set(state.orgId, [state]);
      }
      for (const [orgId, states] of byOrg) {
        for (let i = 0; i < states.length; i += 500) {
          const ids = states.slice(i, i + 500).map((s) => s.roomId);
          for (const last of await deps.store.messages.lastOf(orgId, ids)) {
            const feed = rooms.get(last.roomId)?.feed;
            if (feed && last.seq > feed.head) void feed.catchUp();
          }
        }
      }
    },
    /** After a bus failure: every room catches up from the store. */
    restore(): void {
      for (const state of rooms.values()) void state.feed?.catchUp();
    },
    size: () => rooms.size,
  };
}

export type Rooms<C extends Reader> = ReturnType<typeof createRooms<C>>;
