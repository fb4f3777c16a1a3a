import type { PageRequest, PageResult } from "@/store/types.ts";
import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { channels } from "@/bus/bus.ts";
import { AppError, ConflictError, notFound } from "@/errors.ts";
import type { Role } from "@/modules/users/repository.ts";
import { type Actor, can } from "@/modules/users/actor.ts";
import type { Query } from "@/modules/queries/model.ts";
import {
  isNote,
  type Message,
  type MessageType,
  type Room,
  type RoomRead,
  roomReadId,
} from "./repository.ts";
import type { Attachment, AttachmentService } from "./attachments.ts";
import { openStatuses } from "@/modules/queries/model.ts";
import { resolveMentions } from "./mentions.ts";

/** What travels on a room's bus channel; the hub forwards it to the sockets in the room. */
export type RoomEvent =
  | { event: "message-received"; data: { message: Message; sender: { id: string; role: string } } }
  | {
    event: "user-typing";
    /** `note`: typing a private note; the hub shows it to staff only. */
    data: { userId: string; roomId: string; isTyping: boolean; note?: true };
  }
  | {
    event: "message-read";
    /** `customerSeq` is the position in a customer's seqs, which the hub shows them instead. */
    data: { roomId: string; userId: string; seq: number; customerSeq: number };
  };

export interface NewMessage {
  text: string;
  type?: Exclude<MessageType, "system">;
  fileId?: string | null;
  clientMessageId?: string;
  /** Staff a note names, by id (besides the `@name`s in its text); notes only. */
  mentions?: string[];
}

export type { RoomRead };

/** A read position in the caller's seqs: a customer's count only what they see. */
export function readSeqFor(role: Role, read: RoomRead): number {
  return role === "Customer" ? read.customerSeq ?? read.seq : read.seq;
}

export type RoomSummary = Room & { lastMessage: Message | null; unread: number };

export interface ChatService {
  /** The room if the caller may read it; 404 otherwise. */
  readable(actor: Actor, roomId: string): Promise<Room>;
  /** The room if the caller may write in it (messages, files, typing); 403 for a reader. */
  writable(actor: Actor, roomId: string): Promise<Room>;
  /** The query's room, made on first use. */
  roomForQuery(actor: Actor, queryId: string): Promise<Room>;
  /** A direct room between staff of the organization. */
  directRoom(actor: Actor, memberIds: string[], title?: string): Promise<Room>;
  /** Makes the room of a query being created (before the query, which names it). */
  openQueryRoom(
    room: Pick<
      Room,
      "id" | "organizationId" | "queryId" | "customerId" | "title" | "createdBy" | "createdAt"
    >,
  ): Promise<Room>;
  /** Removes the room of a query that could not be stored, so no room outlives its query. */
  discardQueryRoom(orgId: string, roomId: string): Promise<void>;
  rooms(actor: Actor): Promise<RoomSummary[]>;
  /**
   * Messages of these rooms, newest first, paged (a contact's conversations, for staff whose
   * reach the caller has checked): notes included.
   */
  messagesIn(orgId: string, roomIds: string[], page: PageRequest): Promise<PageResult<Message>>;
  messages(
    actor: Actor,
    roomId: string,
    range: { afterSeq?: number; beforeSeq?: number; limit: number },
  ): Promise<Message[]>;
  /** Stores the message with the room's next seq, then publishes it; a retried id is answered once. */
  send(
    actor: Actor,
    roomId: string,
    input: NewMessage,
  ): Promise<{ message: Message; duplicate: boolean }>;
  /**
   * A message written by the server (assignments, transfers, mail), without permission checks.
   * With a `clientMessageId` it is stored once: a repeat answers the stored message.
   */
  system(
    orgId: string,
    roomId: string,
    text: string,
    from?: { id: string; role: Role | "system" },
    options?: { clientMessageId?: string; fileId?: string | null; type?: MessageType },
  ): Promise<Message>;
  /**
   * Moves the caller's read position up to `seq` (a customer's: in their seqs), clamped to the
   * room's last message (never down). `known`: a stored message of the room the caller holds
   * (the hub's last delivered); when it is the one `seq` names, the store is not read for it.
   */
  markRead(actor: Actor, roomId: string, seq: number, known?: Message | null): Promise<RoomRead>;
  /** Tells the room; typing a note (`note`) is for staff only, and only staff may. */
  typing(actor: Actor, roomId: string, isTyping: boolean, note?: boolean): Promise<void>;
}

export function createChatService(
  deps: Pick<Deps, "store" | "bus" | "clock" | "ids" | "log"> & { events: Events },
  attachments: Pick<AttachmentService, "get">,
): ChatService {
  const { store } = deps;
  const rooms = store.documents("rooms");
  const reads = store.documents("room_reads");
  const now = () => deps.clock.now().toISOString();
  /**
   * Rooms are written once and never changed but by a merge of contacts (which `mayRead` allows
   * for), so each is read from the store once (bounded).
   */
  const known = new Map<string, Room>();

  async function roomOf(orgId: string, roomId: string): Promise<Room | null> {
    const cached = known.get(roomId);
    if (cached) return cached.organizationId === orgId ? cached : null;
    const room = await rooms.get(orgId, roomId);
    if (!room) return null;
    if (known.size >= 1000) known.delete(known.keys().next().value!);
    Object.freeze(room.members);
    known.set(roomId, Object.freeze(room));
    return room;
  }

  /** What one operation read of the room's query, so that its event can carry it on. */
  type Seen = { query?: Query | null };

  async function queryOf(room: Room, seen?: Seen): Promise<Query | null> {
    const query = room.queryId
      ? await store.queries.findById(room.organizationId, room.queryId)
      : null;
    if (seen) seen.query = query;
    return query;
  }

  /** Who may read a room: its customer, staff on its query, supervisors, direct members. */
  async function mayRead(actor: Actor, room: Room, seen?: Seen): Promise<boolean> {
    if (room.organizationId !== actor.orgId) return false;
    if (room.kind === "direct") return room.members.includes(actor.userId);
    if (actor.role === "Customer") {
      // A merge moves a room to another customer; a cached room may name the one before.
      return room.customerId === actor.userId ||
        (await queryOf(room, seen))?.customerId === actor.userId;
    }
    if (can(actor.role, "chat.oversee")) return true;
    const query = await queryOf(room, seen);
    return query?.assignedTo === actor.userId;
  }

  async function readable(actor: Actor, roomId: string, seen?: Seen): Promise<Room> {
    const room = await roomOf(actor.orgId, roomId);
    if (!room || !(await mayRead(actor, room, seen))) throw notFound("Room", roomId);
    return room;
  }

  async function fileOf(orgId: string, fileId: string): Promise<Attachment | null> {
    try {
      return await attachments.get(orgId, fileId);
    } catch (err) {
      if (err instanceof AppError && err.code === "NOT_FOUND") return null;
      throw err;
    }
  }

  async function writable(actor: Actor, roomId: string, seen?: Seen): Promise<Room> {
    const room = await readable(actor, roomId, seen);
    if (!can(actor.role, "chat.write")) {
      throw new AppError("FORBIDDEN", `Role ${actor.role} may read but not write here`);
    }
    return room;
  }

  async function publish(room: Room, e: RoomEvent) {
    await deps.bus.publish(channels.room(room.id), e).catch((err) =>
      deps.log.warn("room publish failed", { roomId: room.id, error: String(err) })
    );
  }

  /** Stores a message with the room's next seq; `markRead` also moves the sender's read position. */
  async function store_(room: Room, sender: {
    id: string;
    role: Message["senderRole"];
    name?: string;
  }, input: {
    text: string;
    type: MessageType;
    fileId: string | null;
    clientMessageId: string;
    mentions?: string[];
  }, markRead = false) {
    return await store.messages.append({
      id: deps.ids.next(),
      organizationId: room.organizationId,
      roomId: room.id,
      senderId: sender.id,
      senderRole: sender.role,
      ...(sender.name ? { senderName: sender.name } : {}),
      type: input.type,
      text: input.text,
      fileId: input.fileId,
      clientMessageId: input.clientMessageId,
      email: null,
      ...(input.mentions ? { mentions: input.mentions } : {}),
      createdAt: now(),
    }, { markRead });
  }

  /**
   * Publishes a stored message to its room (not awaited: the sender's ack needs the message
   * stored, not relayed; one connection keeps publishes in order), then emits `message.created`.
   */
  async function deliver(room: Room, message: Message, seen: Seen = {}) {
    void publish(room, {
      event: "message-received",
      data: { message, sender: { id: message.senderId, role: message.senderRole } },
    });
    await deps.events.emit("message.created", {
      organizationId: room.organizationId,
      actorId: message.senderId,
    }, { message, room, ...("query" in seen ? { query: seen.query ?? null } : {}) });
  }

  /** Moves a member's read position forward (never back) to `at`, and tells the room. */
  async function advanceRead(room: Room, userId: string, at: Message | null) {
    const seq = at?.seq ?? 0;
    const customerSeq = at?.customerSeq ?? 0;
    const { read, raised } = await store.messages.raiseRead({
      id: roomReadId(room.id, userId),
      organizationId: room.organizationId,
      roomId: room.id,
      userId,
      seq,
      customerSeq,
      at: now(),
    });
    if (raised) {
      await publish(room, {
        event: "message-read",
        data: { roomId: room.id, userId, seq, customerSeq },
      });
      await deps.events.emit("message.read", {
        organizationId: room.organizationId,
        actorId: userId,
      }, { roomId: room.id, userId, seq });
    }
    return read;
  }

  /** The room's last message a reader of `role` sees. */
  const lastFor = (room: Room, role: Role) =>
    store.messages.last(room.organizationId, room.id, { customer: role === "Customer" });

  /** Whether `message` is the one a reader's `seq` names in the room (a customer's: no note). */
  function names(message: Message, room: Room, seq: number, customer: boolean) {
    if (message.roomId !== room.id || message.organizationId !== room.organizationId) return false;
    return customer ? !isNote(message) && message.customerSeq === seq : message.seq === seq;
  }

  /** Who may write a note here: staff, in a query's room they may read. */
  function mayNote(actor: Actor, room: Room) {
    if (!can(actor.role, "chat.note")) {
      throw new AppError("FORBIDDEN", `Role ${actor.role} may not write notes`);
    }
    if (room.kind !== "query") {
      throw new AppError("VALIDATION_FAILED", "Request validation failed", {
        details: [{ path: "type", message: "notes belong in a query's room" }],
      });
    }
  }

  const service: ChatService = {
    readable,
    writable,
    async roomForQuery(actor, queryId) {
      const query = await store.queries.findById(actor.orgId, queryId);
      if (!query) throw notFound("Query", queryId);
      if (!query.roomId) throw notFound("Room for query", queryId);
      return await readable(actor, query.roomId);
    },
    async directRoom(actor, memberIds, title) {
      if (actor.integration || !can(actor.role, "chat.direct")) {
        throw new AppError("FORBIDDEN", `Role ${actor.role} may not open direct rooms`);
      }
      const members = [...new Set([actor.userId, ...memberIds])];
      for (const id of members) {
        const user = await store.users.findById(actor.orgId, id);
        if (!user || user.role === "Customer" || !user.active) {
          throw new AppError("VALIDATION_FAILED", "Request validation failed", {
            details: [{ path: "members", message: `no active staff member "${id}" here` }],
          });
        }
      }
      return await rooms.insert({
        id: deps.ids.next(),
        organizationId: actor.orgId,
        kind: "direct",
        queryId: null,
        customerId: null,
        members,
        title: title ?? "Direct conversation",
        createdBy: actor.userId,
        createdAt: now(),
      });
    },
    async openQueryRoom(room) {
      return await rooms.insert({ ...room, kind: "query", members: [] });
    },
    async discardQueryRoom(orgId, roomId) {
      known.delete(roomId);
      await rooms.delete(orgId, roomId);
    },
    async rooms(actor) {
      const found: Room[] = [];
      const page = { page: 1, limit: 100 };
      if (actor.role === "Customer") {
        found.push(
          ...(await rooms.find(actor.orgId, {
            where: { customerId: actor.userId },
            sort: [["createdAt", "desc"]],
            page,
          })).data,
        );
      } else {
        found.push(
          ...(await rooms.find(actor.orgId, {
            contains: { field: "members", value: actor.userId },
            sort: [["createdAt", "desc"]],
            page,
          })).data,
        );
        const queries = can(actor.role, "chat.oversee")
          ? await store.queries.list(
            actor.orgId,
            { statuses: [...openStatuses] },
            {
              field: "updatedAt",
              order: "desc",
            },
            page,
          )
          : await store.queries.list(actor.orgId, { assignedTo: actor.userId }, {
            field: "updatedAt",
            order: "desc",
          }, page);
        const queryRooms = await Promise.all(
          queries.data.map((q) => q.roomId ? roomOf(actor.orgId, q.roomId) : null),
        );
        for (const room of queryRooms) if (room) found.push(room);
      }
      // Last messages and read positions of all the rooms at once, not two reads per room.
      const ids = found.map((room) => room.id);
      const customer = actor.role === "Customer";
      const [lastMessages, readPositions] = await Promise.all([
        store.messages.lastOf(actor.orgId, ids, { customer }),
        reads.getMany(actor.orgId, ids.map((id) => roomReadId(id, actor.userId))),
      ]);
      const lastByRoom = new Map(lastMessages.map((m) => [m.roomId, m]));
      const readByRoom = new Map(readPositions.map((r) => [r.roomId, readSeqFor(actor.role, r)]));
      return found.map((room) => {
        const lastMessage = lastByRoom.get(room.id) ?? null;
        const lastSeq = (customer ? lastMessage?.customerSeq : lastMessage?.seq) ?? 0;
        return {
          ...room,
          lastMessage,
          unread: Math.max(0, lastSeq - (readByRoom.get(room.id) ?? 0)),
        };
      });
    },
    messagesIn: (orgId, roomIds, page) => store.messages.listInRooms(orgId, roomIds, page),
    async messages(actor, roomId, range) {
      await readable(actor, roomId);
      return await store.messages.list(actor.orgId, roomId, {
        ...range,
        customer: actor.role === "Customer",
      });
    },
    async send(actor, roomId, input) {
      const note = input.type === "note";
      // A bot (an API key) answers customers; private notes are for people.
      if (note && actor.integration) {
        throw new AppError("FORBIDDEN", "Bots may not write private notes");
      }
      const seen: Seen = {};
      const room = note ? await readable(actor, roomId, seen) : await writable(actor, roomId, seen);
      if (note) mayNote(actor, room);
      else if (input.mentions?.length) {
        throw new AppError("UNPROCESSABLE", "Only notes mention staff", {
          details: [{ path: "mentions", message: "send the message with type note" }],
        });
      }
      const mentions = note
        ? await resolveMentions(deps, room.organizationId, input.text, input.mentions ?? [])
        : undefined;
      if ((input.type ?? "text") === "file") {
        const file = input.fileId ? await fileOf(actor.orgId, input.fileId) : null;
        if (!file || file.scope !== "room" || file.scopeId !== room.id) {
          throw new AppError("VALIDATION_FAILED", "Request validation failed", {
            details: [{ path: "fileId", message: "upload the file to this room first" }],
          });
        }
      }
      const clientMessageId = input.clientMessageId ?? deps.ids.next();
      let message: Message;
      try {
        // The sender has read what they wrote: recorded with the message, not announced.
        const sender = actor.integration
          ? { id: actor.userId, role: "bot" as const, name: actor.integration.name }
          : { id: actor.userId, role: actor.role };
        message = await store_(room, sender, {
          text: input.text,
          type: input.type ?? "text",
          fileId: input.fileId ?? null,
          clientMessageId,
          ...(mentions ? { mentions } : {}),
        }, true);
      } catch (err) {
        // A retry (or a retry racing its original): the stored one is answered, once.
        const first = await store.messages.findByClientId(
          room.organizationId,
          room.id,
          actor.userId,
          clientMessageId,
        );
        if (err instanceof ConflictError && first) return { message: first, duplicate: true };
        throw err;
      }
      await deliver(room, message, seen);
      return { message, duplicate: false };
    },
    async system(orgId, roomId, text, from = { id: "system", role: "system" }, options = {}) {
      const room = await roomOf(orgId, roomId);
      if (!room) throw notFound("Room", roomId);
      const clientMessageId = options.clientMessageId ?? deps.ids.next();
      if (options.clientMessageId) {
        const earlier = await store.messages.findByClientId(
          room.organizationId,
          room.id,
          from.id,
          clientMessageId,
        );
        if (earlier) return earlier;
      }
      const message = await store_(room, from, {
        text,
        type: options.type ?? (from.role === "system" ? "system" : "text"),
        fileId: options.fileId ?? null,
        clientMessageId,
      });
      await deliver(room, message);
      return message;
    },
    async markRead(actor, roomId, seq, known) {
      const room = await readable(actor, roomId);
      const customer = actor.role === "Customer";
      // The message `seq` names exists, so it is the position: no clamp, nothing to read.
      if (known && names(known, room, seq, customer)) {
        return await advanceRead(room, actor.userId, known);
      }
      // A position past the room's last message would hide messages sent later: clamp it.
      const last = await lastFor(room, actor.role);
      const lastSeq = (customer ? last?.customerSeq : last?.seq) ?? 0;
      const target = Math.min(seq, lastSeq);
      const at = target === 0 ? null : target === lastSeq ? last : (await store.messages.list(
        room.organizationId,
        room.id,
        { afterSeq: target - 1, limit: 1, customer },
      ))[0] ?? null;
      return await advanceRead(room, actor.userId, at);
    },
    async typing(actor, roomId, isTyping, note = false) {
      const room = note ? await readable(actor, roomId) : await writable(actor, roomId);
      if (note) mayNote(actor, room);
      await publish(room, {
        event: "user-typing",
        data: { userId: actor.userId, roomId, isTyping, ...(note ? { note: true as const } : {}) },
      });
    },
  };
  return service;
}
