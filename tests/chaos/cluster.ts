/**
 * The chaos suite's cluster: two API processes started as `deno task start` starts them, on one
 * store (a shared SQLite file, or one MongoDB database) and one Redis of the test's own, with an
 * organization of staff and direct rooms made straight in the store.
 */
import { join } from "node:path";
import { openStore } from "@/store/store.ts";
import { uuidv7 } from "@/ids.ts";
import { defaultOrganizationSettings } from "@/modules/organizations/repository.ts";
import { newUser } from "@/modules/users/repository.ts";
import { hashPassword } from "@/modules/auth/passwords.ts";
import { freePort, taskArgs, waitForPort } from "@tests/helpers/servers.ts";
import { startRedis, type TestRedis } from "@tests/helpers/redis.ts";
import { startMongo, type TestMongo } from "@tests/helpers/mongo.ts";
import { childEnv } from "@tests/helpers/process.ts";

const root = new URL("../../", import.meta.url).pathname;
export const password = "chaos-password";

/** One API process; it can be killed, paused and resumed like a real one. */
export interface Instance {
  name: string;
  url: string;
  wsUrl: string;
  /** Sends a signal (SIGKILL, SIGSTOP, SIGCONT, SIGTERM). */
  signal(signal: Deno.Signal): void;
  exited: Promise<Deno.CommandStatus>;
  /** The last lines it wrote to stderr (its warnings and errors). */
  log(): string;
  /** Its resident memory now, in MB (VmRSS), or NaN once it is gone. */
  rssMb(): number;
  stop(): Promise<void>;
}

async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: taskArgs("start"),
    cwd: root,
    // Only what the instance is given (see childEnv).
    clearEnv: true,
    env: childEnv({ ...env, PORT: String(port), HOST: "127.0.0.1", INSTANCE_ID: name }),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      lines.push(decoder.decode(chunk));
      if (lines.length > 400) lines.splice(0, 100);
    }
  })();
  const signal = (s: Deno.Signal) => {
    try {
      child.kill(s);
    } catch {
      // already gone
    }
  };
  const instance: Instance = {
    name,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    signal,
    exited: child.status,
    log: () => lines.join(""),
    rssMb() {
      try {
        const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
        return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
      } catch {
        return NaN;
      }
    },
    async stop() {
      signal("SIGCONT");
      signal("SIGTERM");
      await child.status;
      await reading;
    },
  };
  try {
    await waitForPort(port, 60_000);
    for (;;) {
      const res = await fetch(`${instance.url}/health/ready`);
      await res.body?.cancel();
      if (res.ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await instance.stop();
    throw new Error(`instance ${name} did not start: ${err}\n${instance.log()}`);
  }
  return instance;
}

export interface Cluster {
  redis: TestRedis;
  instances: [Instance, Instance];
  orgId: string;
  users: { id: string; email: string; token: string }[];
  /** Makes `count` direct rooms with every user as a member. */
  rooms(count: number): Promise<string[]>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  store: "sqlite" | "mongo";
  users?: number;
  redisArgs?: string[];
  env?: Record<string, string>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const redis = await startRedis({ args: options.redisArgs ?? [] });
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-chaos-" });
  let mongo: TestMongo | null = null;
  const instances: Instance[] = [];
  const close = async () => {
    for (const i of instances) await i.stop();
    await redis.stop();
    await mongo?.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  try {
    const storeEnv: Record<string, string> = { DATA_DIR: dataDir };
    if (options.store === "mongo") {
      mongo = await startMongo();
      storeEnv.MONGODB_URI = mongo.uri;
      storeEnv.MONGODB_DB = mongo.db;
    }
    const store = await openStore(
      mongo
        ? { kind: "mongo", uri: mongo.uri, db: mongo.db }
        : { kind: "sqlite", path: join(dataDir, "chatcrm.db") },
    );
    const now = new Date().toISOString();
    const orgId = uuidv7();
    const emails: { id: string; email: string }[] = [];
    try {
      await store.organizations.create({
        id: orgId,
        name: "Chaos",
        slug: `chaos-${orgId.slice(-8)}`,
        active: true,
        settings: defaultOrganizationSettings(),
        createdAt: now,
        updatedAt: now,
      });
      const hash = await hashPassword(password, 4);
      for (let i = 0; i < (options.users ?? 4); i++) {
        const id = uuidv7();
        const email = `chaos-${i}-${id.slice(-6)}@example.com`;
        await store.users.create(newUser({
          id,
          organizationId: orgId,
          name: `Chaos ${i}`,
          email,
          passwordHash: hash,
          role: "Agent",
          maxConcurrentQueries: 5,
          createdAt: now,
        }));
        emails.push({ id, email });
      }
    } finally {
      await store.close();
    }
    const env = {
      ...storeEnv,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      NODE_ENV: "test",
      REDIS_URL: redis.url,
      JWT_SECRET: "chaos-secret-that-is-long-enough-for-hs256!",
      ENCRYPTION_KEY: "chaos-encryption-key-that-is-32-chars-or-more",
      BCRYPT_COST: "4",
      CRONS_ENABLED: "false",
      LOG_LEVEL: "warn",
      RATE_LIMIT_MAX: "1000000",
      RATE_LIMIT_USER_MAX: "1000000",
      WS_RATE_PER_SECOND: "10000",
      WS_RATE_BURST: "100000",
      WS_RESYNC_SECONDS: "1",
      RUST_BACKTRACE: "0",
      NO_COLOR: "1",
      ...options.env,
    };
    instances.push(...await Promise.all([startInstance("A", env), startInstance("B", env)]));
    const [a] = instances as [Instance, Instance];
    const users: Cluster["users"] = [];
    for (const u of emails) {
      const res = await fetch(`${a.url}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: u.email, password }),
      });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`login failed: ${JSON.stringify(body)}`);
      users.push({ ...u, token: body.token as string });
    }
    return {
      redis,
      instances: instances as [Instance, Instance],
      orgId,
      users,
      async rooms(count) {
        const ids: string[] = [];
        for (let i = 0; i < count; i++) {
          const res = await fetch(`${a.url}/api/v1/chat/rooms`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              authorization: `Bearer ${users[0]!.token}`,
            },
            body: JSON.stringify({ members: users.map((u) => u.id), title: `Chaos room ${i}` }),
          });
          const body = await res.json();
          if (res.status !== 201) throw new Error(`room not made: ${JSON.stringify(body)}`);
          ids.push(body.id);
        }
        return ids;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
