import { join } from "node:path";
import { type Config, ConfigError } from "@/config.ts";
import { type Clock, systemClock } from "@/clock.ts";
import { type Ids, systemIds, uuidv7 } from "@/ids.ts";
import { errorMessage, jsonLogger, type Logger } from "@/log.ts";
import { openStore, type Store } from "@/store/store.ts";
import { diskFileStore, type FileStore } from "@/store/files.ts";
import type { Bus, SharedState } from "@/bus/bus.ts";
import { memoryBus, memorySharedState } from "@/bus/memory.ts";

/** Everything services, routes, workers and scripts need, built once by `buildDeps`. */
export interface Deps {
  config: Config;
  store: Store;
  bus: Bus;
  shared: SharedState;
  files: FileStore;
  clock: Clock;
  ids: Ids;
  log: Logger;
  /** This process's id on the bus and in presence records. */
  instanceId: string;
  /** The HS256 key for access tokens. */
  jwtKey: Uint8Array;
  /** Runs `fn` at shutdown, before the store and bus close (latest registered runs first). */
  onShutdown(fn: () => Promise<void> | void): void;
  /** Runs the shutdown hooks once (closing sockets, stopping jobs); the adapters stay open. */
  drain(): Promise<void>;
  /** Drains, then closes the bus and the store. */
  close(): Promise<void>;
}

/** Parts a caller (a test, a bench) may supply instead of the defaults. */
export type DepsOverrides = Partial<
  Pick<Deps, "store" | "bus" | "shared" | "clock" | "ids" | "log">
>;

/**
 * The embedded store in DATA_DIR. A directory this process may not write (a root-owned bind
 * mount for the image's uid 1993, a path that is a file) is explained in words that say what to
 * do, instead of SQLite's "unable to open database file".
 */
async function openDataDir(dataDir: string): Promise<Store> {
  try {
    await Deno.mkdir(dataDir, { recursive: true });
    return await openStore({ kind: "sqlite", path: join(dataDir, "chatcrm.db") });
  } catch (err) {
    const unwritable = err instanceof Deno.errors.PermissionDenied ||
      err instanceof Deno.errors.AlreadyExists || err instanceof Deno.errors.NotADirectory ||
      /unable to open database file|readonly database|not a directory/i.test(String(err));
    if (!unwritable) throw err;
    const uid = Deno.uid();
    throw new ConfigError(
      `Cannot open the database in DATA_DIR "${dataDir}": it must be a directory this process ` +
        `(uid ${uid ?? "unknown"}) can write. In the container (uid 1993, "deno"), use a named ` +
        `volume, or make a bind-mounted directory writable first: chown -R 1993 <dir>. ` +
        `(${errorMessage(err)})`,
    );
  }
}

/**
 * Where uploads go: in the store (GridFS) when it has file storage and FILES_STORE is not
 * `disk`, so instances on MongoDB share no volume; on disk under DATA_DIR otherwise.
 */
function filesFor(config: Config, store: Store): FileStore {
  if (config.filesStore === "store" && !store.files) {
    throw new ConfigError("FILES_STORE=store needs MONGODB_URI: only MongoDB keeps files (GridFS)");
  }
  return config.filesStore !== "disk" && store.files
    ? store.files
    : diskFileStore(join(config.dataDir, "uploads"));
}

/** The PEM text of REDIS_TLS_CA_FILE, or a ConfigError saying why it cannot be used. */
async function readCaFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new ConfigError(`Cannot read REDIS_TLS_CA_FILE "${path}": ${errorMessage(err)}`);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ConfigError(`Invalid REDIS_TLS_CA_FILE "${path}": expected PEM certificates`);
  }
  return text;
}

/** Opens the store, bus and files the configuration names. */
export async function buildDeps(config: Config, overrides: DepsOverrides = {}): Promise<Deps> {
  const clock = overrides.clock ?? systemClock;
  const store = overrides.store ??
    (config.mongo
      ? await openStore({ kind: "mongo", uri: config.mongo.uri, db: config.mongo.db })
      : await openDataDir(config.dataDir));
  const log = overrides.log ?? jsonLogger(config.logLevel);
  let bus = overrides.bus;
  let shared = overrides.shared;
  if (!bus && (config.redisUrl || config.redisSentinel)) {
    const { redisBus } = await import("@/bus/redis.ts");
    const redis = await redisBus(
      {
        url: config.redisUrl,
        sentinel: config.redisSentinel,
        tlsCa: config.redisTlsCaFile ? await readCaFile(config.redisTlsCaFile) : undefined,
      },
      log,
    );
    bus = redis;
    shared ??= redis.shared;
  }
  bus ??= memoryBus();
  shared ??= memorySharedState(() => clock.now().getTime());
  const hooks: (() => Promise<void> | void)[] = [];
  let drained: Promise<void> | undefined;
  const drain = () =>
    drained ??= (async () => {
      for (const hook of hooks.reverse()) await hook();
    })();
  return {
    config,
    store,
    bus,
    shared,
    files: filesFor(config, store),
    clock,
    ids: overrides.ids ?? systemIds(clock),
    log,
    instanceId: config.instanceId ?? uuidv7(),
    jwtKey: new TextEncoder().encode(config.jwt.secret ?? await devSecret(config.dataDir)),
    onShutdown: (fn) => void hooks.push(fn),
    drain,
    async close() {
      await drain();
      await bus.close();
      await store.close();
    },
  };
}

/**
 * Outside production a missing JWT_SECRET is generated once and kept in DATA_DIR, so tokens
 * survive restarts of the embedded default. Production requires JWT_SECRET (see config.ts).
 */
async function devSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, "jwt_secret");
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const secret = Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.writeTextFile(path, secret, { mode: 0o600, createNew: true }).catch(async (err) => {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  });
  return (await Deno.readTextFile(path)).trim();
}
