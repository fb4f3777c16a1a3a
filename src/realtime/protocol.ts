import { z } from "zod";
import { messageFields, readFields } from "@/modules/chat/schemas.ts";

/** Largest frame a client may send. */
export const maxFrameBytes = 64 * 1024;

const Id = z.string().min(1).max(64);
const Sdp = z.object({ type: z.string().max(20), sdp: z.string().max(60_000) }).passthrough();

/** A call named by `callId`, or (the seed's form) by `to`: the live call with that user. */
const CallRef = { callId: Id.optional(), to: Id.optional() };
const oneRef = [
  (d: { callId?: string | undefined; to?: string | undefined }) =>
    (d.callId === undefined) !== (d.to === undefined),
  { message: "Exactly one of callId and to is required" },
] as const;

/** Every event a client may send, with its data. */
export const clientEvents = {
  "join-room": z.object({ roomId: Id, sinceSeq: z.number().int().min(0).optional() }).strict(),
  "leave-room": z.object({ roomId: Id }).strict(),
  "send-message": z.object({ roomId: Id, ...messageFields }).strict(),
  /** `note`: typing a private note, shown to staff only. */
  "typing": z.object({ roomId: Id, isTyping: z.boolean(), note: z.boolean().optional() })
    .strict(),
  "mark-read": z.object({ roomId: Id, ...readFields }).strict(),
  "presence": z.object({ status: z.enum(["online", "away"]) }).strict(),
  "call-user": z.object({
    to: Id,
    offer: Sdp,
    callType: z.enum(["audio", "video"]).default("audio"),
  }).strict(),
  "answer-call": z.object({ ...CallRef, answer: Sdp }).strict().refine(...oneRef),
  "ice-candidate": z.object({ ...CallRef, candidate: z.unknown() }).strict().refine(...oneRef),
  "reject-call": z.object({ callId: Id }).strict(),
  "end-call": z.object(CallRef).strict().refine(...oneRef),
  "ping": z.object({}).strict(),
} as const;

export type ClientEvent = keyof typeof clientEvents;
export type ClientData<E extends ClientEvent> = z.infer<(typeof clientEvents)[E]>;

const Envelope = z.object({
  event: z.string().min(1).max(40),
  data: z.unknown().optional(),
  id: z.union([z.string().max(100), z.number()]).optional(),
}).strict();

export type ParsedFrame =
  | { ok: true; event: ClientEvent; data: unknown; id: string | number | undefined }
  | {
    ok: false;
    id: string | number | undefined;
    code: string;
    message: string;
    details?: unknown;
  };

/** Whether `event` is one of the client events: own names only, never `constructor` or `__proto__`. */
export function isClientEvent(event: string): event is ClientEvent {
  return Object.hasOwn(clientEvents, event);
}

/** UTF-8 length of `text`, counted only as far as needed to compare it with `limit`. */
export function utf8Over(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > limit) return true;
  }
  return false;
}

/** The `id` of a frame that is otherwise unusable, when it has a valid one, for its error frame. */
export function idOf(raw: unknown): string | number | undefined {
  if (typeof raw !== "object" || raw === null || !Object.hasOwn(raw, "id")) return undefined;
  const id = (raw as { id: unknown }).id;
  if (typeof id === "string" && id.length <= 100) return id;
  return typeof id === "number" && Number.isFinite(id) ? id : undefined;
}

/** Parses JSON, or undefined when it is not JSON. */
function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Parses one text frame into a known event with valid data, or says what is wrong. */
export function parseFrame(text: string): ParsedFrame {
  if (utf8Over(text, maxFrameBytes)) {
    // Still answered with its id, so the client knows which request was refused.
    return {
      ok: false,
      id: idOf(json(text)),
      code: "PAYLOAD_TOO_LARGE",
      message: "Frame is over 64 KiB",
    };
  }
  const raw = json(text);
  if (raw === undefined) {
    return { ok: false, id: undefined, code: "BAD_REQUEST", message: "Frame is not JSON" };
  }
  const envelope = Envelope.safeParse(raw);
  if (!envelope.success) {
    return {
      ok: false,
      id: idOf(raw),
      code: "BAD_REQUEST",
      message: 'Expected {"event", "data", "id"}',
    };
  }
  const { event, id } = envelope.data;
  if (!isClientEvent(event)) {
    return { ok: false, id, code: "BAD_REQUEST", message: `Unknown event "${event}"` };
  }
  const schema = clientEvents[event];
  const data = schema.safeParse(envelope.data.data ?? {});
  if (!data.success) {
    return {
      ok: false,
      id,
      code: "VALIDATION_FAILED",
      message: `Invalid data for ${event}`,
      details: data.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    };
  }
  return { ok: true, event, data: data.data, id };
}

/** A frame the server sends: an event, an ack or an error. */
export function frame(event: string, data: unknown, id?: string | number): string {
  return JSON.stringify(id === undefined ? { event, data } : { event, id, data });
}

export function errorFrame(
  id: string | number | undefined,
  error: { code: string; message: string; details?: unknown },
): string {
  return JSON.stringify({ event: "error", ...(id === undefined ? {} : { id }), error });
}
