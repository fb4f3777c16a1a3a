import { SMTPServer } from "smtp-server";

/** A received message: envelope recipients and the raw RFC 822 text. */
export interface ReceivedMail {
  to: string[];
  raw: string;
}

/** An in-test SMTP server on a free loopback port that keeps what it receives. */
export interface TestSmtp {
  port: number;
  /** Env for testApp so the app sends here. */
  env: Record<string, string>;
  /** Resolves with the next message received (or one already waiting). */
  next(): Promise<ReceivedMail>;
  /** Every message received so far, in order (whether or not `next` took it). */
  received(): ReceivedMail[];
  stop(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const waiting: ReceivedMail[] = [];
  const waiters: ((m: ReceivedMail) => void)[] = [];
  const all: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (c: Uint8Array) => chunks.push(c));
      stream.on("end", () => {
        const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
        let at = 0;
        for (const c of chunks) {
          bytes.set(c, at);
          at += c.byteLength;
        }
        const raw = new TextDecoder().decode(bytes);
        const mail = { to: session.envelope.rcptTo.map((r) => r.address), raw };
        all.push(mail);
        const waiter = waiters.shift();
        if (waiter) waiter(mail);
        else waiting.push(mail);
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve((server.server.address() as { port: number }).port);
    });
  });
  return {
    port,
    env: { SMTP_HOST: "127.0.0.1", SMTP_PORT: String(port), SMTP_FROM: "ChatCRM <no-reply@test>" },
    next: () => {
      const ready = waiting.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
    },
    received: () => [...all],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
