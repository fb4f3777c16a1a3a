import type { Role } from "@/modules/users/repository.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";

export const messageTypes = ["text", "file", "system", "note"] as const;
export type MessageType = (typeof messageTypes)[number];

/** Whether a message is for staff only: a private note, never shown to the room's customer. */
export const isNote = (m: Pick<Message, "type">) => m.type === "note";

/** A conversation: a query's (its customer and the staff on it) or a direct staff room. */
export interface Room {
  id: string;
  organizationId: string;
  kind: "query" | "direct";
  queryId: string | null;
  /** The customer of a query room; null for direct rooms. */
  customerId: string | null;
  /** Explicit members of a direct room; empty for query rooms (derived from the query). */
  members: string[];
  title: string;
  createdBy: string;
  createdAt: string;
}

/** Delivery of a message that also leaves by email. */
export interface EmailDelivery {
  status: "queued" | "sent" | "failed" | "received";
  messageId: string | null;
  attempts: number;
  lastError: string | null;
  updatedAt: string;
}

export interface Message {
  id: string;
  organizationId: string;
  roomId: string;
  /** Position in the room, from 1, with no gaps between stored messages. */
  seq: number;
  /**
   * Position among the messages a customer sees (every one but notes), from 1, with no gaps: a
   * note keeps its predecessor's. Customers see it as their `seq`, so their view has no hole.
   */
  customerSeq: number;
  senderId: string;
  /** `bot`: an API key with chat:write (its id is `apikey:<key id>`). */
  senderRole: Role | "system" | "bot";
  /** The bot's name (its key's) when it was sent; absent on other messages. */
  senderName?: string;
  type: MessageType;
  text: string;
  fileId: string | null;
  /** The sender's id for this message: a retry with the same id stores nothing new. */
  clientMessageId: string;
  email: EmailDelivery | null;
  /** Staff a note names (ids); absent on other messages. */
  mentions?: string[];
  createdAt: string;
}

/** A message as clients see it, over REST and the socket alike: without its organization. */
export type MessageView = Omit<Message, "organizationId" | "customerSeq">;

/** Staff's view of a message: its room seq. */
export function messageView(
  { organizationId: _org, customerSeq: _c, ...view }: Message,
): MessageView {
  return view;
}

/** A customer's view of a (non-note) message: their own seq, which skips the notes. */
export function customerView(message: Message): MessageView {
  return { ...messageView(message), seq: message.customerSeq };
}

/** The view of a message for a caller of `role`. */
export function viewFor(role: string): (message: Message) => MessageView {
  return role === "Customer" ? customerView : messageView;
}

/** The last read position of a member in a room (the `room_reads` documents). */
export interface RoomRead {
  id: string;
  organizationId: string;
  roomId: string;
  userId: string;
  seq: number;
  /** The customer's seq at `seq` (absent on positions stored before notes: then equal). */
  customerSeq?: number;
  at: string;
}

/** The id of a member's read position in a room. */
export const roomReadId = (roomId: string, userId: string) => `${roomId}:${userId}`;

/** Who reads: staff see every message; a customer never a note. */
export interface Audience {
  customer?: boolean;
}

export type MessageRange = { afterSeq?: number; beforeSeq?: number; limit: number } & Audience;

/** Messages by room, in sequence. */
/** Search totals count up to this many hits (a common word would otherwise count them all). */
export const searchCap = 10_000;

export interface MessageRepository {
  /**
   * Stores the message with the room's next seq (from 1, no gaps) and, with `markRead`, moves
   * the sender's read position up to it, in one write where the store allows. ConflictError,
   * with nothing stored, when the sender's clientMessageId is already stored.
   */
  append(
    message: Omit<Message, "seq" | "customerSeq">,
    options?: { markRead?: boolean },
  ): Promise<Message>;
  /** Stores the message; ConflictError when its seq or the sender's clientMessageId is taken. */
  insert(message: Message): Promise<Message>;
  findByClientId(
    orgId: string,
    roomId: string,
    senderId: string,
    clientMessageId: string,
  ): Promise<Message | null>;
  findById(orgId: string, id: string): Promise<Message | null>;
  /**
   * Messages after `afterSeq` ascending, or before `beforeSeq` (the latest ones) ascending. With
   * `customer`, only what a customer sees (no notes), the range counted in `customerSeq`.
   */
  list(orgId: string, roomId: string, range: MessageRange): Promise<Message[]>;
  /** The room's last message (with `customer`, the last one that is not a note), or null. */
  last(orgId: string, roomId: string, audience?: Audience): Promise<Message | null>;
  /**
   * Moves a member's read position up to `read.seq`, never down: the position after, and whether
   * it moved. ConflictError when it keeps changing underneath.
   */
  raiseRead(read: RoomRead): Promise<{ read: RoomRead; raised: boolean }>;
  /** The last message of each of the rooms that has one (in no particular order). */
  lastOf(orgId: string, roomIds: string[], audience?: Audience): Promise<Message[]>;
  setEmail(orgId: string, id: string, email: EmailDelivery): Promise<Message | null>;
  /** Messages of these rooms, newest first, paged with a total. */
  listInRooms(orgId: string, roomIds: string[], page: PageRequest): Promise<PageResult<Message>>;
  /**
   * Messages whose text contains `text` (case-insensitive, at least 3 characters), newest first,
   * paged with a total counted up to `searchCap`: in these rooms (null: the whole organization),
   * notes only with `includeNotes`.
   */
  search(
    orgId: string,
    query: { text: string; roomIds: string[] | null; includeNotes: boolean },
    page: PageRequest,
  ): Promise<PageResult<Message>>;
  /** Every message `from` sent in the organization names `to` as its sender (a merge). */
  moveSender(orgId: string, from: string, to: string): Promise<number>;
  /** Replaces the text of every message `senderId` sent with `marker` and drops its file. */
  eraseSender(orgId: string, senderId: string, marker: string): Promise<number>;
}
