import { join } from "node:path";
import { MongoClient } from "mongodb";
import { findBinary, freePort, skipWithout, spawn, waitForPort } from "./servers.ts";

const givenUri = Deno.env.get("MONGODB_URI");
const home = Deno.env.get("HOME") ?? "/root";
const cache = Deno.env.get("CHATCRM_CACHE") ?? join(home, ".cache", "chatcrm");
/** FERRETDB_BIN, else on PATH, in ~/go/bin, or where `.ci/run` caches its build. */
export const ferretdbBinary = Deno.env.get("FERRETDB_BIN") ??
  findBinary("ferretdb", [join(home, "go", "bin"), join(cache, "ferretdb", "v1.24.2")]);

/** True when MongoDB tests must be skipped: no MONGODB_URI and no FerretDB, outside CI. */
export const skipMongo = skipWithout(
  "a MongoDB-compatible server (MONGODB_URI or ferretdb)",
  Boolean(givenUri || ferretdbBinary),
);

/** A database of this test's own: a fresh name on the given server, or a FerretDB it started. */
export interface TestMongo {
  uri: string;
  db: string;
  stop(): Promise<void>;
}

function uniqueDbName(): string {
  return `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
}

/**
 * A uniquely named database, dropped at stop, on the server of MONGODB_URI (as CI sets it) or
 * else on one FerretDB this test process starts on a free loopback port, over SQLite in a temp
 * dir, on first use, and kills when the process unloads.
 */
export async function startMongo(): Promise<TestMongo> {
  const db = uniqueDbName();
  const uri = givenUri ?? await (ownFerretdb ??= startFerretdb());
  return { uri, db, stop: () => dropDatabase(uri, db) };
}

let ownFerretdb: Promise<string> | undefined;

async function startFerretdb(): Promise<string> {
  if (!ferretdbBinary) throw new Error("No MONGODB_URI and no ferretdb binary");
  const dir = Deno.makeTempDirSync({ prefix: "chatcrm-ferretdb-" });
  const port = freePort();
  const child = spawn(ferretdbBinary, [
    "--handler=sqlite",
    `--sqlite-url=file:${dir}/`,
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${dir}`,
    "--debug-addr=-",
    "--telemetry=disable",
    "--log-level=error",
  ]);
  globalThis.addEventListener("unload", () => {
    child.kill();
    Deno.removeSync(dir, { recursive: true });
  });
  await waitForPort(port, 20_000);
  return `mongodb://127.0.0.1:${port}/`;
}

async function dropDatabase(uri: string, db: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    await client.db(db).dropDatabase();
  } finally {
    await client.close();
  }
}
