// The seed's REST stack doing the work of `GET /api/v1/queries/:id`, for tests/bench/rest.ts:
// Node + Express 5 with helmet, express-rate-limit and hpp, jsonwebtoken verifying an HS256
// Bearer token on every request, express-validator on the param, and the query's document read
// from the bench's SQLite file by key and organization through better-sqlite3.
//   node rest_server.mjs <port> <sqlite file> <jwt secret>
// The token's payload carries {id, role, organizationId}, as the seed's did.
import { createRequire } from "node:module";
import { createSecretKey } from "node:crypto";
// The packages come from ./node_modules through Node; loaded by require so that `deno check
// tests/` (which walks this directory too) does not look for them in deno.json.
const require = createRequire(import.meta.url);
const express = require("express");
const helmet = require("helmet");
const { rateLimit } = require("express-rate-limit");
const hpp = require("hpp");
const jwt = require("jsonwebtoken");
const { param, validationResult } = require("express-validator");
const Database = require("better-sqlite3");

const [port, file, secretText] = process.argv.slice(2);
// A KeyObject made once: given the string itself, as the seed did, jsonwebtoken 9 first tries to
// parse it as a public key on every verify (about 0.5 ms each here), which would flatter ours.
const secret = createSecretKey(Buffer.from(secretText));
const db = new Database(file, { readonly: true, fileMustExist: true });
const byId = db.prepare("SELECT doc FROM queries WHERE id = ? AND org_id = ?");

const app = express();
app.disable("x-powered-by");
app.use(helmet());
// As high as ours is set for the bench: counted, never reached.
app.use(
  rateLimit({
    windowMs: 60_000,
    limit: 10_000_000,
    standardHeaders: "draft-7",
    legacyHeaders: false,
  }),
);
app.use(express.json({ limit: "1mb" }));
app.use(hpp());

function authenticate(req, res, next) {
  const header = req.headers.authorization ?? "";
  if (!header.startsWith("Bearer ")) return res.status(401).json({ error: "Unauthorized" });
  try {
    req.user = jwt.verify(header.slice(7), secret, { algorithms: ["HS256"] });
    next();
  } catch {
    res.status(401).json({ error: "Invalid token" });
  }
}

app.get(
  "/api/v1/queries/:id",
  authenticate,
  param("id").isUUID(),
  (req, res) => {
    const errors = validationResult(req);
    if (!errors.isEmpty()) return res.status(400).json({ errors: errors.array() });
    const row = byId.get(req.params.id, req.user.organizationId);
    if (!row) return res.status(404).json({ error: "Query not found" });
    res.json(JSON.parse(row.doc));
  },
);
app.get("/health", (_req, res) => res.json({ status: "ok" }));

const server = app.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
