/**
 * The floor of the house's own parts for `GET /api/v1/queries/:id` (tests/bench/rest.ts): one
 * Hono route, the HS256 Bearer token verified by jose once and then found in a map (as ours keeps
 * verified tokens), the query's document read from the bench's SQLite file by key and
 * organization through node:sqlite, answered with `c.json`. No other middleware, no rate limit,
 * no session or access check: about what no build on hono + node:sqlite can go below, which tells
 * a target the product misses from one its parts miss.
 *
 *   deno run --allow-net --allow-read tests/bench/floor_server.ts <port> <sqlite file> <secret>
 */
import { DatabaseSync } from "node:sqlite";
import { Hono } from "hono";
import { jwtVerify } from "jose";

const [port, file, secretText] = Deno.args;
const key = new TextEncoder().encode(secretText);
const db = new DatabaseSync(file!, { readOnly: true });
const byId = db.prepare("SELECT doc FROM queries WHERE id = ? AND org_id = ?");

const verified = new Map<string, { organizationId: string; exp: number }>();

async function claims(token: string) {
  const known = verified.get(token);
  if (known) return known.exp * 1000 > Date.now() ? known : null;
  const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
  const found = { organizationId: String(payload.organizationId), exp: payload.exp ?? 0 };
  verified.set(token, found);
  return found;
}

const app = new Hono();
app.get("/api/v1/queries/:id", async (c) => {
  const header = c.req.header("authorization") ?? "";
  if (!header.startsWith("Bearer ")) return c.json({ error: "Unauthorized" }, 401);
  const payload = await claims(header.slice(7)).catch(() => null);
  if (!payload) return c.json({ error: "Invalid token" }, 401);
  const row = byId.get(c.req.param("id"), payload.organizationId) as
    | { doc: string }
    | undefined;
  if (!row) return c.json({ error: "Query not found" }, 404);
  return c.json(JSON.parse(row.doc));
});
Deno.serve({ hostname: "127.0.0.1", port: Number(port), onListen: () => {} }, app.fetch);
