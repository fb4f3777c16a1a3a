import { Redis } from "ioredis";
import { findBinary, freePort, skipWithout, spawn, waitForPort } from "./servers.ts";

export const redisBinary = findBinary("redis-server", ["/usr/sbin", "/usr/local/bin"]);

/** True when Redis tests must be skipped (binary missing outside CI). */
export const skipRedis = skipWithout("redis-server", redisBinary !== null);

const opensslBinary = findBinary("openssl", ["/usr/bin"]);

/** True when TLS Redis tests must be skipped: no redis-server, or no openssl for the certificate. */
export const skipTlsRedis = skipRedis || skipWithout("openssl", opensslBinary !== null);

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

/** A TLS-only redis-server: its `url` is `rediss://…`, and `caFile` the PEM that trusts it. */
export interface TestTlsRedis extends TestRedis {
  caFile: string;
}

/**
 * A self-signed certificate for 127.0.0.1 (openssl, P-256, one day), written to `dir`: the
 * certificate is its own CA, so a client trusting `cert.pem` verifies the server and its address.
 */
export async function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  if (!opensslBinary) throw new Error("openssl is not installed");
  const { code, stderr } = await new Deno.Command(opensslBinary, {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
  return { cert, key };
}

/**
 * A redis-server that takes TLS connections only (`--port 0 --tls-port …`, no client
 * certificates asked), with a certificate made for this test.
 */
export async function startTlsRedis(): Promise<TestTlsRedis> {
  const certDir = await Deno.makeTempDir({ prefix: "chatcrm-redis-tls-" });
  const { cert, key } = await selfSignedCert(certDir);
  const redis = await startRedis({ tls: { cert, key } });
  return {
    ...redis,
    caFile: cert,
    async stop() {
      await redis.stop();
      await Deno.remove(certDir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * `args` are extra server options, e.g. `["--client-output-buffer-limit", "pubsub 64kb 32kb 1"]`;
 * `tls` serves TLS only, with that certificate and key.
 */
export async function startRedis(
  options: { args?: string[]; tls?: { cert: string; key: string } } = {},
): Promise<TestRedis> {
  if (!redisBinary) throw new Error("redis-server is not installed");
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-redis-" });
  const tls = options.tls;
  const listen = tls
    ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.cert]
      .concat(["--tls-key-file", tls.key, "--tls-ca-cert-file", tls.cert])
      .concat(["--tls-auth-clients", "no"])
    : ["--port", String(port)];
  const args = [
    ...listen,
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
      ...(tls ? { tls: { ca: Deno.readTextFileSync(tls.cert) } } : {}),
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
    url: `${tls ? "rediss" : "redis"}://127.0.0.1:${port}`,
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
