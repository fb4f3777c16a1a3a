import { batchedProtocol } from "@/realtime/wire.ts";
import { within } from "./within.ts";

/** A test's WebSocket client: sends frames, awaits acks and pushed events, in order. */
export interface WsClient {
  socket: WebSocket;
  /** Sends an event and resolves with its ack's data; rejects with the error frame's error. */
  request(event: string, data?: unknown): Promise<Record<string, unknown>>;
  /**
   * Sends several lines in one frame (the batched mode: raw text lines as they are, events given
   * an id each) and resolves with the answer (ack or error) to each event, in the order sent.
   */
  requestBatch(lines: (string | { event: string; data?: unknown })[]): Promise<Frame[]>;
  /** Sends raw text (for bad-frame tests). */
  raw(text: string): void;
  /** Resolves with the next pushed frame of `event` matching `where`, already received or not. */
  next(event: string, where?: (data: Record<string, unknown>) => boolean): Promise<Frame>;
  /** Every event received so far (one per line of a batched frame). */
  frames: Frame[];
  /** Every frame received so far, as its text (in the batched mode, lines joined by "\n"). */
  wire: string[];
  /** Resolves with the close code. */
  closed: Promise<number>;
  close(): Promise<void>;
}

export interface Frame {
  event: string;
  id?: string | number;
  data: Record<string, unknown>;
  error?: { code: string; message: string };
}

export interface ConnectOptions {
  /** The token as `Authorization: Bearer` rather than in the query. */
  header?: boolean;
  /** Subprotocols offered at the upgrade (`chatcrm.batch.v1`: the batched mode). */
  protocols?: string[];
}

/** How long a client waits for a frame before failing (longer than any test's wait). */
const frameWaitMs = 30_000;

/**
 * Opens a socket to `baseWsUrl/ws` with the token in the query (or, with `header`, as
 * `Authorization: Bearer`), and waits for `connected`.
 */
export async function connect(
  baseWsUrl: string,
  token: string,
  options: ConnectOptions = {},
): Promise<WsClient> {
  const socket = options.header
    // Deno's WebSocket takes request headers, as server-side clients send them.
    ? new WebSocket(
      `${baseWsUrl}/ws`,
      {
        headers: { authorization: `Bearer ${token}` },
        ...(options.protocols ? { protocols: options.protocols } : {}),
      } as unknown as string,
    )
    : new WebSocket(`${baseWsUrl}/ws?token=${encodeURIComponent(token)}`, options.protocols);
  const frames: Frame[] = [];
  const wire: string[] = [];
  const waiters: { test: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  let closeCode!: (code: number) => void;
  const closed = new Promise<number>((resolve) => closeCode = resolve);
  socket.addEventListener("message", (e) => {
    const text = String(e.data);
    wire.push(text);
    const lines = socket.protocol === batchedProtocol ? text.split("\n") : [text];
    for (const line of lines) {
      const f = JSON.parse(line) as Frame;
      frames.push(f);
      for (const w of [...waiters]) {
        if (w.test(f)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(f);
        }
      }
    }
  });
  socket.addEventListener("close", (e) => closeCode(e.code));
  // A frame that never comes fails the test with what did come, rather than hanging the run.
  const awaitFrame = (what: string, test: (f: Frame) => boolean, take = (_f: Frame) => {}) =>
    new Promise<Frame>((resolve, reject) => {
      const waiter = {
        test,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          take(f);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        const got = frames.slice(-10).map((f) => f.event).join(", ");
        reject(new Error(`No ${what} in ${frameWaitMs / 1000} s; the last frames: ${got}`));
      }, frameWaitMs);
      waiters.push(waiter);
    });
  const seen = new Set<Frame>();
  const next: WsClient["next"] = (event, where = () => true) => {
    const test = (f: Frame) => f.event === event && !seen.has(f) && where(f.data ?? {});
    const found = frames.find(test);
    if (!found) return awaitFrame(`"${event}" frame as awaited`, test, (f) => seen.add(f));
    seen.add(found);
    return Promise.resolve(found);
  };
  let counter = 0;
  const answerTo = (id: string) =>
    awaitFrame(
      `answer to "${id}"`,
      (f) => f.id === id && (f.event === "ack" || f.event === "error"),
    );
  const client: WsClient = {
    socket,
    frames,
    wire,
    closed,
    next,
    raw: (text) => socket.send(text),
    async request(event, data = {}) {
      const id = `r${++counter}`;
      const answer = answerTo(id);
      socket.send(JSON.stringify({ event, data, id }));
      const f = await answer;
      if (f.event === "error") {
        throw Object.assign(new Error(`${f.error!.code}: ${f.error!.message}`), {
          code: f.error!.code,
        });
      }
      return f.data;
    },
    requestBatch(lines) {
      const answers: Promise<Frame>[] = [];
      const text = lines.map((line) => {
        if (typeof line === "string") return line;
        const id = `r${++counter}`;
        answers.push(answerTo(id));
        return JSON.stringify({ event: line.event, data: line.data ?? {}, id });
      }).join("\n");
      socket.send(text);
      // A server that does not split the frame answers none of its ids: fail rather than hang.
      return within(10_000, Promise.all(answers), "No answer to a batched frame");
    },
    async close() {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
        socket.close();
      }
      await closed;
    },
  };
  await next("connected");
  return client;
}

/**
 * Sends a WebSocket upgrade over raw TCP with the given extra headers (an Origin, a Cookie,
 * which browsers send and `WebSocket` here cannot) and resolves with the answer's status code.
 */
export async function upgradeStatus(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<number> {
  return (await upgradeAnswer(port, path, headers)).status;
}

/** As `upgradeStatus`, with the answer's headers too (then the connection is dropped). */
export async function upgradeAnswer(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    await conn.write(new TextEncoder().encode(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${btoa("chatcrm-origin-k")}\r\n` +
        `Sec-WebSocket-Version: 13\r\n${extra}\r\n`,
    ));
    const head = new Uint8Array(4096);
    const n = await conn.read(head);
    const [line = "", ...rest] = new TextDecoder().decode(head.subarray(0, n ?? 0))
      .split("\r\n\r\n")[0]!.split("\r\n");
    const answered = new Headers();
    for (const h of rest) {
      const colon = h.indexOf(":");
      if (colon > 0) answered.append(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
    }
    return { status: Number(line.split(" ")[1]), headers: answered };
  } finally {
    conn.close();
  }
}

/** One masked text frame (under 126 bytes), as a client writes it on a raw connection. */
export function maskedTextFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  if (payload.length >= 126) throw new Error("maskedTextFrame takes texts under 126 bytes");
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const frame = new Uint8Array(2 + 4 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  frame.set(mask, 2);
  payload.forEach((b, i) => frame[6 + i] = b ^ mask[i % 4]!);
  return frame;
}
