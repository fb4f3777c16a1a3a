/**
 * Checkpoints a SQLite file's WAL from a worker thread, so that copying pages into the database
 * and its fsyncs stall a worker instead of the thread serving sockets and requests.
 */
import { DatabaseSync } from "node:sqlite";

/** What the owning thread sends: the file and how often to checkpoint it. */
export interface CheckpointerStart {
  path: string;
  everyMs: number;
}

/**
 * Starts the worker for `path`; `stop` ends it. A failing worker ends and calls `onError`
 * instead of taking the process down with it.
 */
export function startCheckpointer(
  path: string,
  everyMs = 500,
  onError: (message: string) => void = () => {},
): { stop(): void } {
  const worker = new Worker(new URL("./checkpointer.ts", import.meta.url).href, {
    type: "module",
  });
  const failed = (message: string) => {
    worker.terminate();
    onError(message);
  };
  worker.addEventListener("error", (e) => {
    e.preventDefault();
    failed(e.message);
  });
  // A failure the worker caught itself (opening the file): reported as a message, so the
  // runtime prints no uncaught error for it.
  worker.addEventListener("message", (e) => failed(String((e as MessageEvent).data?.error)));
  worker.postMessage({ path, everyMs } satisfies CheckpointerStart);
  return { stop: () => worker.terminate() };
}

/**
 * Checkpoints move to a worker: when the process says it serves (`start`, before it listens), or
 * else under sustained writes (a busy chat, a long import). Until then, and as a fallback should
 * the worker fall behind, the writing connection checkpoints as SQLite does. Making the worker
 * blocks this thread for 50 to 85 ms (measured): done mid-traffic, every socket waits for it.
 */
export function backgroundCheckpoints(db: DatabaseSync, path: string) {
  let writes = 0;
  let worker: { stop(): void } | null = null;
  function start() {
    if (worker || path === ":memory:") return;
    worker = startCheckpointer(path, 500, (message) => {
      // Back to SQLite's own checkpoints on this connection; the worker is not restarted.
      if (db.isOpen) db.exec("PRAGMA wal_autocheckpoint = 1000");
      console.error(JSON.stringify({ level: "warn", msg: "checkpoint worker failed", message }));
    });
    db.exec("PRAGMA wal_autocheckpoint = 4000");
  }
  return {
    start,
    /** Counts a write transaction; the 200th starts the worker if nothing did before. */
    written() {
      if (!worker && ++writes >= 200) start();
    },
    stop() {
      worker?.stop();
      worker = null;
    },
  };
}

/** Inside the worker: PASSIVE checkpoints (they never wait for or block a writer). */
function runCheckpoints({ path, everyMs }: CheckpointerStart) {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 1000");
  setInterval(() => {
    try {
      db.exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch {
      // Busy or closing: the next tick tries again, and the writers' own checkpoint backs it.
    }
  }, everyMs);
}

// In a worker `self` is not a Window: the first message starts the loop.
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  globalThis.addEventListener("message", (e) => {
    try {
      runCheckpoints((e as MessageEvent<CheckpointerStart>).data);
    } catch (err) {
      const scope = globalThis as unknown as { postMessage(data: unknown): void };
      scope.postMessage({ error: err instanceof Error ? err.message : String(err) });
    }
  }, { once: true });
}
