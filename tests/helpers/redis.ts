import { Redis } from "ioredis";
import { findBinary, freePort, skipWithout, spawn, waitForPort } from "./servers.ts";

export const redisBinary = findBinary("redis-server", ["/usr/sbin", "/usr/local/bin"]);

/** True when Redis tests must be skipped (binary missing outside CI). */
export const skipRedis = skipWithout("redis-server", redisBinary !== null);

/** A redis-server of this test's own, on a free loopback port, keeping nothing on disk. */
export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /**
   * Stops the server and starts it again on the same port (to test reconnects); `whileDown`
   * runs in between.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

/** `args` are extra server options, e.g. `["--client-output-buffer-limit", "pubsub 64kb 32kb 1"]`. */
export async function startRedis(options: { args?: string[] } = {}): Promise<TestRedis> {
  if (!redisBinary) throw new Error("redis-server is not installed");
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-redis-" });
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    ...(options.args ?? []),
  ];
  let child = spawn(redisBinary, args);
  async function ready() {
    await waitForPort(port);
    const client = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  }
  await ready();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await child.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
    async restart(whileDown) {
      await child.stop();
      await whileDown?.();
      child = spawn(redisBinary, args);
      await ready();
    },
  };
}
