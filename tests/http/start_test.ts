import assert from "node:assert/strict";
import { checkedFetch } from "@tests/helpers/openapi.ts";
import { join } from "node:path";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";
import { skipRedis, startRedis } from "@tests/helpers/redis.ts";
import { freePort } from "@tests/helpers/servers.ts";
import { startProcess } from "@tests/helpers/process.ts";
import { within } from "@tests/helpers/within.ts";

const secret = "j".repeat(40);
const key = "k".repeat(40);

/** Runs the process to its end (at most `timeoutMs`) and gives its exit code and output. */
async function runToExit(env: Record<string, string>, timeoutMs = 30_000) {
  const child = startProcess(env);
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, timeoutMs);
  try {
    const { code, stdout, stderr } = await child.output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code, stdout: text(stdout), stderr: text(stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls GET /health/ready until it answers 200; fails early when the process exits first, and
 * after `timeoutMs` otherwise. Gives the last response body.
 */
async function waitReady(
  child: Deno.ChildProcess,
  port: number,
  timeoutMs = 30_000,
): Promise<unknown> {
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => exited = s);
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the server exited with code ${exited.code} before it was ready`);
    try {
      const res = await checkedFetch(`http://127.0.0.1:${port}/health/ready`);
      const body = await res.json();
      if (res.status === 200) return body;
      last = `${res.status} ${JSON.stringify(body)}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`/health/ready did not answer 200 in ${timeoutMs} ms: ${last}`);
}

/** Sends SIGTERM and gives the exit status, the time it took and the output. */
async function terminate(child: Deno.ChildProcess) {
  const started = performance.now();
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, 20_000);
  try {
    const { code, signal, stdout, stderr } = await child.output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return {
      code,
      signal,
      ms: performance.now() - started,
      stdout: text(stdout),
      stderr: text(stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The URI with `db` as its path (the config derives the database name from it). */
function withDatabase(uri: string, db: string): string {
  const [base = uri, query] = uri.split("?");
  const host = /^mongodb(?:\+srv)?:\/\/[^/]+/.exec(base)?.[0] ?? base.replace(/\/+$/, "");
  return `${host}/${db}${query ? `?${query}` : ""}`;
}

/** The JSON log line with this message, parsed. */
function logLine(stdout: string, msg: string): Record<string, unknown> | undefined {
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line);
      if (entry.msg === msg || entry.message === msg) return entry;
    } catch {
      // not a log line
    }
  }
  return undefined;
}

Deno.test({
  name: "with MONGODB_URI, REDIS_URL and JWT_SECRET the API starts writing nothing to DATA_DIR",
  ignore: skipMongo || skipRedis,
  async fn() {
    const mongo = await startMongo();
    const redis = await startRedis();
    const parent = await Deno.makeTempDir({ prefix: "chatcrm-readonly-" });
    const dataDir = join(parent, "data");
    await Deno.chmod(parent, 0o555);
    const port = freePort();
    const child = startProcess({
      NODE_ENV: "production",
      PORT: String(port),
      DATA_DIR: dataDir,
      MONGODB_URI: withDatabase(mongo.uri, mongo.db),
      REDIS_URL: redis.url,
      JWT_SECRET: secret,
      ENCRYPTION_KEY: key,
    });
    try {
      const body = await waitReady(child, port);
      assert.deepEqual(body, { status: "ready", checks: { store: "ok", bus: "ok" } });
      // Root ignores 0o555, so the proof is that the path was never made, not an EACCES.
      assert.equal(await exists(dataDir), false, "DATA_DIR was not created at start");
      const live = await checkedFetch(`http://127.0.0.1:${port}/health/live`);
      assert.equal(live.status, 200);
      await live.body?.cancel();
      const end = await terminate(child);
      assert.equal(end.code, 0, end.stderr);
      const listening = logLine(end.stdout, "listening");
      assert.ok(listening, `a "listening" log line:\n${end.stdout}`);
      assert.equal(listening.store, "mongo");
      assert.equal(listening.bus, "redis");
      assert.equal(await exists(dataDir), false, "DATA_DIR was not created while serving");
    } finally {
      await terminate(child).catch(() => {});
      await Deno.chmod(parent, 0o755);
      await Deno.remove(parent, { recursive: true });
      await redis.stop();
      await mongo.stop();
    }
  },
});

for (
  const [name, env, variable] of [
    ["PORT=abc", { PORT: "abc" }, "PORT"],
    ["MONGODB_URI=nonsense", { MONGODB_URI: "nonsense" }, "MONGODB_URI"],
    ["NODE_ENV=production without JWT_SECRET", {
      NODE_ENV: "production",
      ENCRYPTION_KEY: key,
    }, "JWT_SECRET"],
  ] as const
) {
  Deno.test(`${name} stops the start with exit 1 and one line naming ${variable}`, async () => {
    const dataDir = join(await Deno.makeTempDir({ prefix: "chatcrm-badconf-" }), "data");
    try {
      const { code, stdout, stderr } = await runToExit({
        PORT: String(freePort()),
        DATA_DIR: dataDir,
        ...env,
      });
      assert.equal(code, 1, `exit code (stderr: ${stderr})`);
      const lines = stderr.trim().split("\n");
      assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
      assert.ok(lines[0]!.includes(variable), `"${lines[0]}" names ${variable}`);
      assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
      assert.equal(stdout.trim(), "", "nothing on stdout");
      assert.equal(await exists(dataDir), false, "nothing written");
    } finally {
      await Deno.remove(join(dataDir, ".."), { recursive: true });
    }
  });
}

Deno.test("SIGTERM on a running embedded-default server exits 0 promptly", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-sigterm-" });
  const port = freePort();
  const child = startProcess({ PORT: String(port), DATA_DIR: dataDir });
  try {
    const body = await waitReady(child, port);
    assert.deepEqual(body, { status: "ready", checks: { store: "ok", bus: "ok" } });
    const end = await terminate(child);
    assert.equal(end.signal, null, "exited by itself, not killed by the signal");
    assert.equal(end.code, 0, end.stderr);
    assert.ok(end.ms < 5000, `stopped in ${Math.round(end.ms)} ms`);
    assert.ok(logLine(end.stdout, "shutting down"), `a "shutting down" log line:\n${end.stdout}`);
  } finally {
    await terminate(child).catch(() => {});
    await Deno.remove(dataDir, { recursive: true });
  }
});

/** How many of the process's open files are `path` (each SQLite connection holds one). */
async function openedTimes(pid: number, path: string): Promise<number> {
  let n = 0;
  for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
    if (await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "") === path) n++;
  }
  return n;
}

Deno.test(
  "the embedded-default API starts its checkpoint worker before it serves, not mid-traffic",
  // Open files are read from /proc.
  { ignore: Deno.build.os !== "linux" },
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-checkpoints-" });
    const port = freePort();
    const child = startProcess({ PORT: String(port), DATA_DIR: dataDir, CRONS_ENABLED: "false" });
    try {
      await waitReady(child, port);
      // No request has written anything: only a worker started at start opens a second connection.
      const db = join(dataDir, "chatcrm.db");
      await within(
        10_000,
        (async () => {
          while (await openedTimes(child.pid, db) < 2) await new Promise((r) => setTimeout(r, 50));
        })(),
        "no second connection to the database (the checkpoint worker's)",
      );
    } finally {
      await terminate(child).catch(() => {});
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

Deno.test("a taken port stops the start with exit 1 and one line naming PORT", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-port-" });
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const { code, stderr } = await runToExit({ PORT: String(port), DATA_DIR: dataDir });
    assert.equal(code, 1, `exit code (stderr: ${stderr})`);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
    assert.match(lines[0]!, new RegExp(`Port ${port} .*already in use.*PORT`));
  } finally {
    taken.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("two processes started at once on a new DATA_DIR both come up (the API and the worker's way)", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-twostart-" });
  const ports = [freePort(), freePort()];
  const children = ports.map((port) =>
    startProcess({ PORT: String(port), DATA_DIR: dataDir, CRONS_ENABLED: "false" })
  );
  try {
    await Promise.all(children.map((child, i) => waitReady(child, ports[i]!)));
  } finally {
    for (const child of children) {
      const { code, stderr } = await terminate(child);
      assert.equal(code, 0, stderr);
    }
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a DATA_DIR it cannot write stops the start with one line saying what to do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-datadir-" });
  // A path that is a file stands in for a root-owned bind mount (root may write anywhere).
  const blocked = `${dir}/not-a-directory`;
  await Deno.writeTextFile(blocked, "");
  try {
    const { code, stderr } = await runToExit({ PORT: "0", DATA_DIR: blocked });
    assert.equal(code, 1, `exit code (stderr: ${stderr})`);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
    assert.match(lines[0]!, /Cannot open the database in DATA_DIR .*writable .*chown -R 1993/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the first start of an empty store says where the docs are and how to seed", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-first-" });
  const port = freePort();
  const child = startProcess({ PORT: String(port), DATA_DIR: dataDir });
  try {
    await waitReady(child, port);
    const end = await terminate(child);
    const listening = logLine(end.stdout, "listening");
    assert.equal(listening?.docs, `http://127.0.0.1:${port}/docs`);
    const hint = logLine(end.stdout, "no organization yet");
    assert.match(String(hint?.hint), /deno task seed/);
  } finally {
    await terminate(child).catch(() => {});
    await Deno.remove(dataDir, { recursive: true });
  }
});
