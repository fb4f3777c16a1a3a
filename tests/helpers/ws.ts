/** A test's WebSocket client: sends frames, awaits acks and pushed events, in order. */
export interface WsClient {
  socket: WebSocket;
  /** Sends an event and resolves with its ack's data; rejects with the error frame's error. */
  request(event: string, data?: unknown): Promise<Record<string, unknown>>;
  /** Sends raw text (for bad-frame tests). */
  raw(text: string): void;
  /** Resolves with the next pushed frame of `event` matching `where`, already received or not. */
  next(event: string, where?: (data: Record<string, unknown>) => boolean): Promise<Frame>;
  /** Every frame received so far. */
  frames: Frame[];
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

/**
 * Opens a socket to `baseWsUrl/ws` with the token in the query (or, with `header`, as
 * `Authorization: Bearer`), and waits for `connected`.
 */
export async function connect(
  baseWsUrl: string,
  token: string,
  options: { header?: boolean } = {},
): Promise<WsClient> {
  const socket = options.header
    // Deno's WebSocket takes request headers, as server-side clients send them.
    ? new WebSocket(
      `${baseWsUrl}/ws`,
      { headers: { authorization: `Bearer ${token}` } } as unknown as string,
    )
    : new WebSocket(`${baseWsUrl}/ws?token=${encodeURIComponent(token)}`);
  const frames: Frame[] = [];
  const waiters: { test: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  let closeCode!: (code: number) => void;
  const closed = new Promise<number>((resolve) => closeCode = resolve);
  socket.addEventListener("message", (e) => {
    const f = JSON.parse(String(e.data)) as Frame;
    frames.push(f);
    for (const w of [...waiters]) {
      if (w.test(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
    }
  });
  socket.addEventListener("close", (e) => closeCode(e.code));
  const seen = new Set<Frame>();
  const next: WsClient["next"] = (event, where = () => true) => {
    const test = (f: Frame) => f.event === event && !seen.has(f) && where(f.data ?? {});
    const found = frames.find(test);
    if (found) {
      seen.add(found);
      return Promise.resolve(found);
    }
    return new Promise((resolve) =>
      waiters.push({
        test,
        resolve: (f) => {
          seen.add(f);
          resolve(f);
        },
      })
    );
  };
  let counter = 0;
  const client: WsClient = {
    socket,
    frames,
    closed,
    next,
    raw: (text) => socket.send(text),
    async request(event, data = {}) {
      const id = `r${++counter}`;
      const answer = new Promise<Frame>((resolve) =>
        waiters.push({
          test: (f) => f.id === id && (f.event === "ack" || f.event === "error"),
          resolve,
        })
      );
      socket.send(JSON.stringify({ event, data, id }));
      const f = await answer;
      if (f.event === "error") {
        throw Object.assign(new Error(`${f.error!.code}: ${f.error!.message}`), {
          code: f.error!.code,
        });
      }
      return f.data;
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
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    await conn.write(new TextEncoder().encode(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${btoa("chatcrm-origin-k")}\r\n` +
        `Sec-WebSocket-Version: 13\r\n${extra}\r\n`,
    ));
    const head = new Uint8Array(512);
    const n = await conn.read(head);
    const line = new TextDecoder().decode(head.subarray(0, n ?? 0)).split("\r\n")[0] ?? "";
    return Number(line.split(" ")[1]);
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
