/** A loopback TCP service that greets every connection with a line and counts them. */
export interface BannerListener {
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/** The line an internal service would answer: a client must never see it echoed. */
export const secretBanner = "SECRET-BANNER internal-service v1.2";

export function listenWithBanner(line = secretBanner): BannerListener {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let count = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      count++;
      conns.add(conn);
      conn.write(new TextEncoder().encode(`${line}\r\n`)).catch(() => {});
      // Read until the client gives up; nothing it says is answered.
      (async () => {
        const buf = new Uint8Array(1024);
        try {
          while ((await conn.read(buf)) !== null) { /* ignore */ }
        } catch { /* closed */ }
        conns.delete(conn);
        try {
          conn.close();
        } catch { /* already closed */ }
      })();
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    accepted: () => count,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      await serving;
    },
  };
}
