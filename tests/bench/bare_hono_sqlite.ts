/**
 * A reference for the queries bench: the least a Hono route can do to answer a query by id from
 * the bench's SQLite file (one read by key, parse, answer), with no auth, middleware or checks.
 * It shows how far the bare baseline is from any route that reads its answer from the store.
 */
import { Hono } from "hono";
import { DatabaseSync } from "node:sqlite";

const port = Number(Deno.args[0]);
const db = new DatabaseSync(Deno.args[1]!, { readOnly: true });
const byId = db.prepare("SELECT doc FROM queries WHERE id = ?");
const app = new Hono();
app.get("/queries/:id", (c) => {
  const row = byId.get(c.req.param("id")) as { doc: string } | undefined;
  return row ? c.json({ ...JSON.parse(row.doc), queuePosition: null }) : c.notFound();
});
Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, app.fetch);
