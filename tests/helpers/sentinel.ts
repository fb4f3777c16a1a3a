import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, spawn, waitForPort } from "./servers.ts";
import { redisBinary, selfSignedCert } from "./redis.ts";

/** A primary, a replica and one Sentinel watching them, all of this test's own, on loopback. */
export interface TestSentinel {
  /** What REDIS_SENTINELS and REDIS_SENTINEL_NAME say to reach them. */
  env: { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string };
  /** With `tls`: the PEM file of the certificate every server presents (its own CA). */
  caFile: string | null;
  /** Kills the current primary (SIGKILL, as a machine dies) and waits for the replica's promotion. */
  failover(): Promise<void>;
  stop(): Promise<void>;
}

const name = "chatcrm-test";

/**
 * Starts the three servers; the Sentinel declares a primary down after 1 s of silence. With
 * `tls`, every one of them serves TLS only (`port 0`, `tls-port`), with a self-signed certificate
 * made by openssl, and replicates and monitors over TLS too.
 */
export async function startSentinel(options: { tls?: boolean } = {}): Promise<TestSentinel> {
  if (!redisBinary) throw new Error("redis-server is not installed");
  const binary = redisBinary;
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-sentinel-" });
  const [primaryPort, replicaPort, sentinelPort] = [freePort(), freePort(), freePort()];
  const cert = options.tls ? await selfSignedCert(dir) : null;
  const tlsSettings = (port: number): [string, string][] =>
    cert
      ? [
        ["port", "0"],
        ["tls-port", String(port)],
        ["tls-cert-file", cert.cert],
        ["tls-key-file", cert.key],
        ["tls-ca-cert-file", cert.cert],
        ["tls-auth-clients", "no"],
        ["tls-replication", "yes"],
      ]
      : [["port", String(port)]];
  const clientTls = cert ? { tls: { ca: await Deno.readTextFile(cert.cert) } } : {};
  const server = (port: number, extra: string[] = []) =>
    spawn(binary, [
      ...tlsSettings(port).flatMap(([k, v]) => [`--${k}`, v]),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      ...extra,
    ]);
  const primary = server(primaryPort);
  const replica = server(replicaPort, ["--replicaof", "127.0.0.1", String(primaryPort)]);
  await waitForPort(primaryPort);
  await waitForPort(replicaPort);
  const conf = join(dir, "sentinel.conf");
  await Deno.writeTextFile(
    conf,
    [
      ...tlsSettings(sentinelPort).map(([k, v]) => `${k} ${v}`),
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      `sentinel parallel-syncs ${name} 1`,
    ].join("\n") + "\n",
  );
  const sentinel = spawn(binary, [conf, "--sentinel"]);
  await waitForPort(sentinelPort);
  const ask = new Redis({ host: "127.0.0.1", port: sentinelPort, lazyConnect: true, ...clientTls });
  await ask.connect();
  const primaryNow = async () =>
    Number((await ask.call("SENTINEL", "get-master-addr-by-name", name) as string[])[1]);
  // The replica must be in sync before a failover can promote it.
  const deadline = Date.now() + 15_000;
  const replicaClient = new Redis({
    host: "127.0.0.1",
    port: replicaPort,
    lazyConnect: true,
    ...clientTls,
  });
  await replicaClient.connect();
  try {
    for (;;) {
      const info = String(await replicaClient.call("INFO", "replication"));
      if (/master_link_status:up/.test(info)) break;
      if (Date.now() > deadline) throw new Error("the replica did not sync in 15 s");
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    replicaClient.disconnect();
  }
  // The Sentinel learns of replicas from the primary's INFO, every 10 s: until it lists this one
  // as a healthy replica, a killed primary has nothing to fail over to.
  for (;;) {
    const replicas = await ask.call("SENTINEL", "replicas", name) as string[][];
    const known = replicas.some((fields) => {
      const info = Object.fromEntries(
        fields.flatMap((v, i, all) => i % 2 ? [] : [[v, all[i + 1]]]),
      ) as Record<string, string>;
      return Number(info.port) === replicaPort && info.flags === "slave" &&
        info["master-link-status"] === "ok";
    });
    if (known) break;
    if (Date.now() > deadline + 15_000) throw new Error("the Sentinel did not see the replica");
    await new Promise((r) => setTimeout(r, 100));
  }
  const children = { [primaryPort]: primary, [replicaPort]: replica };
  return {
    env: { REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, REDIS_SENTINEL_NAME: name },
    caFile: cert?.cert ?? null,
    async failover() {
      const before = await primaryNow();
      children[before]!.process.kill("SIGKILL");
      await children[before]!.process.status;
      const until = Date.now() + 30_000;
      while (await primaryNow() === before) {
        if (Date.now() > until) throw new Error("Sentinel did not fail over in 30 s");
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      ask.disconnect();
      await Promise.all([primary.stop(), replica.stop(), sentinel.stop()]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
