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
 * The batched mode: events wait in a per-socket buffer that is sent as one frame at the end of the
 * current turn (a microtask), or at once when it reaches `maxBatchEvents` or `maxBatchChars`.
 * Whatever fails in a flush is the socket's, never the process's: a closed socket drops it.
 */
export function batchingWriter(
  socket: WebSocket,
  onError: (err: unknown) => void = () => {},
): Writer {
  let pending: string[] = [];
  let chars = 0;
  let scheduled = false;
  function flush() {
    scheduled = false;
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
    else if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
}
