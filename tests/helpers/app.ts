import { join } from "node:path";
import { AssertionError } from "node:assert/strict";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { loadConfig } from "@/config.ts";
import { buildDeps, type Deps, type DepsOverrides } from "@/deps.ts";
import { buildApp } from "@/app.ts";
import { buildServices, type Services } from "@/services.ts";
import type { AppEnv } from "@/http/env.ts";
import { openStore, type Store } from "@/store/store.ts";
import { startMongo, type TestMongo } from "./mongo.ts";
import { checkEveryAnswer, describe, responseChecker, wasChecked } from "./openapi.ts";

export interface TestAppOptions extends DepsOverrides {
  /** Environment on top of the test defaults (silent logs, fast bcrypt, a fixed secret). */
  env?: Record<string, string>;
  /** Reuse this data dir (two instances sharing one SQLite file); a fresh temp dir otherwise. */
  dataDir?: string;
}

export interface TestApp {
  app: OpenAPIHono<AppEnv>;
  deps: Deps;
  /** The services the app was built on (one graph, as in the API process). */
  services: Services;
  /** `app.request` with JSON helpers: sends `json` as the body and a Bearer `token`. */
  call(method: string, path: string, options?: CallOptions): Promise<Response>;
  close(): Promise<void>;
}

export interface CallOptions {
  json?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** The socket address the app sees, as Deno.serve would report it. */
  ip?: string;
  body?: BodyInit;
}

/** Deps for a test: its own temp data dir (SQLite) unless a store is given; nothing shared. */
export async function testDeps(options: TestAppOptions = {}): Promise<Deps & { dataDir: string }> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "chatcrm-test-" });
  const config = loadConfig({
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    JWT_SECRET: "test-secret-that-is-long-enough-for-hs256!",
    ENCRYPTION_KEY: "test-encryption-key-that-is-32-chars-or-more",
    LOG_LEVEL: Deno.env.get("TEST_LOG_LEVEL") ?? "silent",
    BCRYPT_COST: "4",
    CRONS_ENABLED: "false",
    // Tests make many calls from one address; rate-limit tests set their own limit.
    RATE_LIMIT_MAX: "1000000",
    RATE_LIMIT_USER_MAX: "1000000",
    ...options.env,
  });
  const deps = await buildDeps(config, options);
  const ownDir = options.dataDir === undefined;
  return {
    ...deps,
    dataDir,
    async close() {
      await deps.close();
      if (ownDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** The real app over test deps, called in-process with `app.request` (no port). */
export async function testApp(options: TestAppOptions = {}): Promise<TestApp> {
  const deps = await testDeps(options);
  const services = await buildServices(deps);
  const app = buildApp(deps, services);
  // Every answer of this app (`call`, `app.request`, `serve`) is checked against /openapi.json.
  checkEveryAnswer(
    app,
    await responseChecker(() => app.request("http://localhost/openapi.json")),
  );
  return {
    app,
    deps,
    services,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body = opts.body;
      if (opts.json !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(opts.json);
      }
      const env = {
        remoteAddr: { hostname: opts.ip ?? "127.0.0.1", port: 40000, transport: "tcp" },
      };
      const url = `http://localhost${path}`;
      const res = await app.request(
        url,
        { method, headers, ...(body !== undefined ? { body } : {}) },
        env,
      );
      return res;
    },
    close: () => deps.close(),
  };
}

/** A store of the given kind for one test; `close` also removes what it made. */
export async function testStore(kind: "sqlite" | "mongo"): Promise<Store> {
  if (kind === "sqlite") {
    const dir = await Deno.makeTempDir({ prefix: "chatcrm-store-" });
    const store = await openStore({ kind: "sqlite", path: join(dir, "test.db") });
    return {
      ...store,
      async close() {
        await store.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
  }
  const mongo: TestMongo = await startMongo();
  const store = await openStore({ kind: "mongo", uri: mongo.uri, db: mongo.db });
  return {
    ...store,
    async close() {
      await store.close();
      await mongo.stop();
    },
  };
}

/**
 * Serves the app on a free loopback port for real HTTP and WebSocket clients. Every answer it
 * gives is checked against /openapi.json; `close` fails with the answers that drifted.
 */
export function serve(
  app: { fetch: (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response> },
) {
  const drifts: string[] = [];
  const local = { remoteAddr: { hostname: "127.0.0.1", port: 0, transport: "tcp" as const } };
  const checker = responseChecker(() =>
    app.fetch(new Request("http://localhost/openapi.json"), local as Deno.ServeHandlerInfo)
  );
  const checked = async (req: Request, info: Deno.ServeHandlerInfo) => {
    const { method, url } = req;
    let res: Response;
    try {
      res = await app.fetch(req, info);
    } catch (err) {
      // A test app's own check (checkEveryAnswer) found a drift.
      if (err instanceof AssertionError) drifts.push(err.message);
      throw err;
    }
    if (wasChecked(res)) return res;
    const problems = await (await checker).problems(method, url, res)
      .catch((err) => [`the check failed: ${err}`]);
    if (problems.length > 0) {
      const drift = describe({ method, url }, res, problems);
      drifts.push(drift);
      console.error(drift);
    }
    return res;
  };
  // Stopped by its signal, not by shutdown(): Deno 2.9's graceful shutdown waits forever for a
  // client that left while its WebSocket upgrade was answered (that socket never opens nor
  // closes); the forced stop does not wait for it. Tests have no request in flight when they
  // stop a server.
  const stop = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {}, signal: stop.signal },
    checked,
  );
  const port = (server.addr as Deno.NetAddr).port;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    async close() {
      stop.abort();
      await server.finished;
      if (drifts.length > 0) {
        throw new AssertionError({ message: `Answers that drift from /openapi.json:\n${drifts}` });
      }
    },
  };
}
