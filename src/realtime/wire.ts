/**
 * The two wire modes of `/ws`. The default sends one event per frame. The batched mode, chosen by
 * the client with the WebSocket subprotocol `chatcrm.batch.v1`, sends the events ready for a
 * socket in one turn of the event loop as one frame of newline-delimited JSON (as Centrifugo's
 * JSON protocol does), each line the default mode's envelope; the client may batch its own frames
 * the same way.
 */

/** The subprotocol of the batched mode. */
export const batchedProtocol = "chatcrm.batch.v1";

/** Events joined into one frame at most, so that one frame stays readable by small clients. */
export const maxBatchEvents = 256;
/** Characters in one batched frame at most (a frame is flushed early once past it). */
export const maxBatchChars = 256 * 1024;

/**
 * The subprotocol to answer, from the client's `Sec-WebSocket-Protocol` (a comma-separated
 * list): only one this server speaks (RFC 6455, 4.2.2), else none, and the default mode.
 */
export function chooseProtocol(offered: string | null | undefined): string | undefined {
  if (!offered) return undefined;
  return offered.split(",").some((p) => p.trim() === batchedProtocol) ? batchedProtocol : undefined;
}

/** The lines of a batched client frame, each handled as one frame of the default mode. */
export function linesOf(text: string): string[] {
  if (!text.includes("\n")) return [text];
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  // A frame of blank lines is one bad frame, answered as the default mode answers it.
  return lines.length > 0 ? lines : [text];
}

/** Writes a socket's outgoing events, in order: `write` takes one envelope's JSON text. */
export type Writer = (text: string) => void;

/** The default mode: each event is sent at once, in its own frame. */
export function plainWriter(socket: WebSocket): Writer {
  return (text) => socket.send(text);
}

/**
 * When the batched sockets' buffers are sent: every socket with something pending is flushed
 * together, at the end of the current turn (a microtask) or, with `delayMs`, that long after the
 * first event became pending, so that events of several turns share a frame (Centrifugo's
 * `write_delay`). One schedule serves every socket of a hub.
 */
export interface Flusher {
  /** Calls `flush` at the next flush (once, however often it is asked before then). */
  schedule(flush: () => void): void;
}

export function createFlusher(
  delayMs = 0,
  onError: (err: unknown) => void = () => {},
): Flusher {
  let due = new Set<() => void>();
  let scheduled = false;
  function run() {
    scheduled = false;
    const now = due;
    due = new Set();
    // Each socket's flush is its own: one that throws neither ends the process from this timer
    // or microtask nor keeps the others' frames back.
    for (const flush of now) {
      try {
        flush();
      } catch (err) {
        onError(err);
      }
    }
  }
  return {
    schedule(flush) {
      due.add(flush);
      if (scheduled) return;
      scheduled = true;
      if (delayMs <= 0) queueMicrotask(run);
      else Deno.unrefTimer(setTimeout(run, delayMs));
    },
  };
}

const endOfTurn = createFlusher();

/**
 * The batched mode: events wait in a per-socket buffer that is sent as one frame at the
 * `flusher`'s next flush (by default the end of the current turn), or at once when it reaches
 * `maxBatchEvents` or `maxBatchChars`. Whatever fails in a flush is the socket's, never the
 * process's: a closed socket drops it.
 */
export function batchingWriter(
  socket: WebSocket,
  onError: (err: unknown) => void = () => {},
  flusher: Flusher = endOfTurn,
): Writer {
  let pending: string[] = [];
  let chars = 0;
  function flush() {
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join("\n");
    pending = [];
    chars = 0;
    if (socket.readyState !== WebSocket.OPEN) return;
    try {
      socket.send(text);
    } catch (err) {
      onError(err);
    }
  }
  return (text) => {
    pending.push(text);
    chars += text.length + 1;
    if (pending.length >= maxBatchEvents || chars >= maxBatchChars) flush();
    else if (pending.length === 1) flusher.schedule(flush);
  };
}
