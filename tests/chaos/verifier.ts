/**
 * The verifying client: members that join every room and record each delivery, writers that
 * send at a set rate and record each ack, and the final comparison of acks, deliveries and the
 * stored history. A member or writer whose instance dies reconnects to the other instance (a
 * member resumes each room from the last seq it received; a writer resends what was not acked,
 * with the same clientMessageId).
 */
import type { Cluster, Instance } from "./cluster.ts";

interface Frame {
  event: string;
  id?: string;
  data?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** A socket that answers requests by id and hands every other frame to `onPush`. */
async function openSocket(
  instance: Instance,
  token: string,
  onPush: (f: Frame) => void,
  onClose: () => void,
) {
  const socket = new WebSocket(`${instance.wsUrl}/ws?token=${encodeURIComponent(token)}`);
  const waiting = new Map<string, (f: Frame) => void>();
  let connected!: () => void;
  let failed!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    connected = resolve;
    failed = reject;
  });
  socket.onmessage = (e) => {
    const f = JSON.parse(String(e.data)) as Frame;
    if (f.event === "connected") return connected();
    if ((f.event === "ack" || f.event === "error") && f.id !== undefined) {
      const w = waiting.get(f.id);
      if (w) {
        waiting.delete(f.id);
        return w(f);
      }
    }
    onPush(f);
  };
  socket.onclose = () => {
    failed(new Error(`socket to ${instance.name} closed`));
    for (const w of waiting.values()) w({ event: "error", error: { code: "CLOSED", message: "" } });
    waiting.clear();
    onClose();
  };
  socket.onerror = () => {};
  await ready;
  let n = 0;
  return {
    socket,
    /** Sends a frame; resolves with its ack or error frame (an error frame when the socket closes). */
    request(event: string, data: unknown, id = `q${++n}`): Promise<Frame> {
      const answer = new Promise<Frame>((resolve) => waiting.set(id, resolve));
      socket.send(JSON.stringify({ event, data, id }));
      return answer;
    },
    close() {
      socket.onclose = null;
      socket.close();
    },
  };
}

type Sock = Awaited<ReturnType<typeof openSocket>>;

/** A user's socket in every room, recording the seqs it receives per room. */
export class Member {
  readonly got = new Map<string, number[]>();
  sock: Sock | null = null;
  reconnects = 0;
  #stopped = false;
  #changed: () => void;

  constructor(
    readonly name: string,
    private token: string,
    private rooms: string[],
    public instance: Instance,
    private fallback: Instance,
    changed: () => void,
  ) {
    this.#changed = changed;
    for (const room of rooms) this.got.set(room, []);
  }

  /** Opens a socket and joins every room; a failed attempt closes its socket (one socket at most). */
  async connect(resume: boolean): Promise<void> {
    let sock: Sock | null = null;
    try {
      sock = await openSocket(this.instance, this.token, (f) => {
        if (f.event !== "message-received") return;
        const m = f.data!.message as { roomId: string; seq: number };
        this.got.get(m.roomId)?.push(m.seq);
        this.#changed();
      }, () => {
        if (this.sock === sock) void this.#lost();
      });
      for (const roomId of this.rooms) {
        const since = this.got.get(roomId)!.at(-1);
        const ack = await sock.request("join-room", {
          roomId,
          ...(resume && since !== undefined ? { sinceSeq: since } : {}),
        });
        if (ack.event !== "ack") throw new Error(`join failed: ${JSON.stringify(ack)}`);
      }
      this.sock = sock;
    } catch (err) {
      sock?.close();
      throw err;
    }
  }

  #reconnecting: Promise<void> | null = null;

  /** Its socket closed (its instance died, or closed it for reading too slowly): one reconnect. */
  #lost(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.sock = null;
    this.reconnects++;
    return this.#reconnecting ??= (async () => {
      // The other instance first (this one may have died), then either, in turn.
      const both = [this.fallback, this.instance];
      for (let attempt = 0; attempt < 50 && !this.#stopped; attempt++) {
        this.instance = both[attempt % 2]!;
        try {
          await this.connect(true);
          this.fallback = both[(attempt + 1) % 2]!;
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })().finally(() => this.#reconnecting = null);
  }

  stop() {
    this.#stopped = true;
    this.sock?.close();
  }
}

/** Sends messages on request and records every ack; resends what is unacked after a reconnect. */
export class Writer {
  readonly pending = new Map<string, { roomId: string; text: string }>();
  sock: Sock | null = null;
  errors: string[] = [];
  #n = 0;
  #stopped = false;
  #reconnecting: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private token: string,
    public instance: Instance,
    private fallback: Instance,
    private acked: (roomId: string, seq: number, messageId: string) => void,
    private text: string,
  ) {}

  async connect() {
    this.sock = await openSocket(this.instance, this.token, () => {}, () => {
      if (this.#stopped) return;
      this.sock = null;
      this.instance = this.fallback;
      this.#reconnecting ??= this.#reconnect().finally(() => this.#reconnecting = null);
    });
  }

  async #reconnect() {
    for (let attempt = 0; attempt < 50 && !this.#stopped; attempt++) {
      try {
        await this.connect();
        for (const [id, m] of this.pending) this.#send(id, m.roomId, m.text);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  get ready() {
    return this.sock !== null && this.pending.size < 200;
  }

  send(roomId: string) {
    const id = `${this.name}-${++this.#n}`;
    const text = `${id} ${this.text}`;
    this.pending.set(id, { roomId, text });
    this.#send(id, roomId, text);
  }

  #send(id: string, roomId: string, text: string) {
    const sock = this.sock;
    if (!sock) return;
    void sock.request("send-message", { roomId, message: text, clientMessageId: id }, id)
      .then((f) => {
        if (f.event === "ack") {
          if (!this.pending.delete(id)) return;
          const d = f.data as { seq: number; messageId: string };
          this.acked(roomId, d.seq, d.messageId);
        } else if (f.error?.code !== "CLOSED" && this.pending.has(id)) {
          // Refused for now (a store or bus fault): the same id again, a little later.
          this.errors.push(f.error?.code ?? "?");
          setTimeout(() => this.sock === sock && this.#send(id, roomId, text), 100);
        }
      });
  }

  stop() {
    this.#stopped = true;
    this.sock?.close();
  }
}

export interface Run {
  members: Member[];
  writers: Writer[];
  /** seq → messageId of each acked message, per room. */
  acked: Map<string, Map<number, string>>;
  rooms: string[];
}

/** Members of every user on both instances, and writers on both, over `roomCount` fresh rooms. */
export async function prepare(c: Cluster, roomCount: number, textBytes = 40): Promise<
  Run & {
    /** Resolves once every member holds every acked seq of every room (or rejects at the deadline). */
    settled(timeoutMs: number): Promise<void>;
  }
> {
  const rooms = await c.rooms(roomCount);
  const acked = new Map(rooms.map((r) => [r, new Map<number, string>()]));
  let check = () => {};
  const members: Member[] = [];
  const [a, b] = c.instances;
  for (const [i, u] of c.users.entries()) {
    members.push(new Member(`m${i}A`, u.token, rooms, a, b, () => check()));
    members.push(new Member(`m${i}B`, u.token, rooms, b, a, () => check()));
  }
  await Promise.all(members.map((m) => m.connect(false)));
  const writers: Writer[] = [];
  const filler = "x".repeat(Math.max(0, textBytes - 20));
  for (const [i, u] of c.users.entries()) {
    const record = (roomId: string, seq: number, id: string) => acked.get(roomId)!.set(seq, id);
    writers.push(new Writer(`w${i}A`, u.token, a, b, record, filler));
    writers.push(new Writer(`w${i}B`, u.token, b, a, record, filler));
  }
  await Promise.all(writers.map((w) => w.connect()));
  const complete = () =>
    writers.every((w) => w.pending.size === 0) &&
    members.every((m) => rooms.every((r) => m.got.get(r)!.length >= acked.get(r)!.size));
  return {
    members,
    writers,
    acked,
    rooms,
    settled(timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          clearInterval(poll);
          reject(new Error("deliveries did not settle in time"));
        }, timeoutMs);
        // Acks and deliveries are both events; the short poll only covers a writer's last ack.
        const poll = setInterval(() => check(), 50);
        check = () => {
          if (!complete()) return;
          clearTimeout(timer);
          clearInterval(poll);
          check = () => {};
          resolve();
        };
        check();
      });
    },
  };
}

/** Sends `rate` messages per second, spread over the writers and rooms, for `seconds`. */
export async function drive(run: Run, rate: number, seconds: number): Promise<number> {
  const started = performance.now();
  let sent = 0;
  let turn = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      let writer: Writer | undefined;
      for (let i = 0; i < run.writers.length && !writer; i++) {
        const w = run.writers[turn++ % run.writers.length]!;
        if (w.ready) writer = w;
      }
      if (!writer) break;
      writer.send(run.rooms[sent % run.rooms.length]!);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return sent;
}

/** Every acked message delivered to every member exactly once, in seq order; nothing else. */
export function verdict(run: Run): string[] {
  const problems: string[] = [];
  for (const room of run.rooms) {
    const expected = [...run.acked.get(room)!.keys()].sort((x, y) => x - y);
    for (const m of run.members) {
      const got = m.got.get(room)!;
      if (got.length === expected.length && got.every((s, i) => s === expected[i])) continue;
      const seen = new Set<number>();
      const repeats = got.filter((s) => seen.has(s) || !seen.add(s));
      const missing = expected.filter((s) => !seen.has(s));
      const disorder = got.findIndex((s, i) => i > 0 && s <= got[i - 1]!);
      problems.push(
        `${m.name} in room ${room.slice(-6)}: ${got.length} of ${expected.length} delivered, ` +
          `missing ${missing.slice(0, 10).join(",")}${missing.length > 10 ? "…" : ""} ` +
          `(${missing.length}), repeated ${repeats.length}, first out of order at ${disorder}`,
      );
    }
  }
  return problems;
}

/** The stored history of each room, read over REST, against the acked set (seq and id). */
export async function historyProblems(c: Cluster, run: Run, via: Instance): Promise<string[]> {
  const problems: string[] = [];
  for (const room of run.rooms) {
    const stored = new Map<number, string>();
    for (let after = 0;;) {
      const res = await fetch(
        `${via.url}/api/v1/chat/rooms/${room}/messages?afterSeq=${after}&limit=200`,
        { headers: { authorization: `Bearer ${c.users[0]!.token}` } },
      );
      const body = await res.json();
      if (res.status !== 200) throw new Error(`history: ${JSON.stringify(body)}`);
      for (const m of body.data as { seq: number; id: string }[]) stored.set(m.seq, m.id);
      if (body.data.length < 200) break;
      after = body.data.at(-1).seq;
    }
    const acked = run.acked.get(room)!;
    const extra = [...stored.keys()].filter((s) => acked.get(s) !== stored.get(s));
    const lost = [...acked.keys()].filter((s) => !stored.has(s));
    if (extra.length || lost.length || stored.size !== acked.size) {
      problems.push(
        `room ${room.slice(-6)}: ${stored.size} stored, ${acked.size} acked, ` +
          `stored but not acked (or another id) ${extra.slice(0, 10)}, acked not stored ${
            lost.slice(0, 10)
          }`,
      );
    }
  }
  return problems;
}
