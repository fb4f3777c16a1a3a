/** One request a test receiver got. */
export interface Received {
  headers: Record<string, string>;
  body: string;
}

/**
 * A real HTTP receiver on a loopback port, as a customer's webhook endpoint: it records every
 * request and answers `status` (which a test may change, or make wait with `hold`). `stop`
 * takes it down (connections are refused) and `start` brings it back on the same port.
 */
export interface WebhookReceiver {
  url: string;
  port: number;
  received: Received[];
  status: number;
  /** While set, requests wait for it before answering. */
  hold: Promise<void> | null;
  /** Resolves once `n` requests have arrived. */
  arrived(n: number): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function webhookReceiver(options: { port?: number; path?: string } = {}): WebhookReceiver {
  let server: Deno.HttpServer | null = null;
  const waiting: { n: number; resolve: () => void }[] = [];
  const receiver: WebhookReceiver = {
    url: "",
    port: options.port ?? 0,
    received: [],
    status: 200,
    hold: null,
    arrived(n) {
      if (receiver.received.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ n, resolve }));
    },
    start() {
      server = Deno.serve(
        { hostname: "127.0.0.1", port: receiver.port, onListen: () => {} },
        async (req) => {
          const body = await req.text();
          receiver.received.push({ headers: Object.fromEntries(req.headers), body });
          for (const w of waiting.filter((w) => receiver.received.length >= w.n)) {
            waiting.splice(waiting.indexOf(w), 1);
            w.resolve();
          }
          if (receiver.hold) await receiver.hold;
          return new Response(null, { status: receiver.status });
        },
      );
      receiver.port = (server.addr as Deno.NetAddr).port;
      receiver.url = `http://127.0.0.1:${receiver.port}${options.path ?? "/hooks"}`;
    },
    async stop() {
      await server?.shutdown();
      server = null;
    },
  };
  receiver.start();
  return receiver;
}
