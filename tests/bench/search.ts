/**
 * Message search on SQLite at 1,000,000 messages: `messages.search()` (what GET /search runs) for
 * a rare word, a common one and a phrase, over the whole organization (TL, QA, Admin) and over
 * an agent's 100 rooms, first and deep pages. Messages are written straight into the file.
 */
import { DatabaseSync } from "node:sqlite";
import { openStore } from "@/store/store.ts";
import { uuidv7 } from "@/ids.ts";
import type { Bench, BenchRow } from "./main.ts";

const count = 1_000_000;
const rooms = 20_000;
const words = [
  "invoice",
  "payment",
  "login",
  "password",
  "refund",
  "order",
  "delivery",
  "account",
  "thanks",
  "please",
  "hello",
  "problem",
  "error",
  "screen",
  "update",
  "question",
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A deterministic sentence of 8–15 words; one in 10,000 names "zeppelin". */
function sentence(n: number): string {
  const out = [];
  let x = n * 2654435761 % 4294967296;
  for (let i = 0; i < 8 + (n % 8); i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(words[Math.floor(x / 65536) % words.length]!);
  }
  if (n % 10_000 === 1) out.push("zeppelin");
  return out.join(" ");
}

async function seed(path: string) {
  await (await openStore({ kind: "sqlite", path })).close();
  const db = new DatabaseSync(path);
  const insert = db.prepare("INSERT INTO messages (id, doc) VALUES (?, ?)");
  const start = Date.parse("2026-01-01T00:00:00Z");
  db.exec("BEGIN");
  for (let n = 1; n <= count; n++) {
    const id = uuidv7(start + n * 1000);
    const room = `room-${n % rooms}`;
    insert.run(
      id,
      JSON.stringify({
        id,
        organizationId: n % 10 === 0 ? "other-org" : "bench-org",
        roomId: room,
        seq: Math.floor(n / rooms) + 1,
        customerSeq: Math.floor(n / rooms) + 1,
        senderId: "u",
        senderRole: n % 3 === 0 ? "Agent" : "Customer",
        type: n % 20 === 0 ? "note" : "text",
        text: sentence(n),
        fileId: null,
        clientMessageId: id,
        email: null,
        createdAt: new Date(start + n * 1000).toISOString(),
      }),
    );
    if (n % 100_000 === 0) {
      db.exec("COMMIT");
      db.exec("BEGIN");
    }
  }
  db.exec("COMMIT");
  db.close();
}

export const searchBench: Bench = {
  name: "search",
  async run() {
    const rows: BenchRow[] = [];
    const dir = await Deno.makeTempDir({ prefix: "chatcrm-bench-search-" });
    try {
      const path = `${dir}/chatcrm.db`;
      const seededAt = performance.now();
      await seed(path);
      rows.push({
        benchmark: `SQLite: write ${count.toLocaleString("en")} messages with their search index`,
        result: `${((performance.now() - seededAt) / 1000).toFixed(0)} s`,
      });
      const store = await openStore({ kind: "sqlite", path });
      const agentRooms = Array.from({ length: 100 }, (_, i) => `room-${i * 7}`);
      const cases = [
        ["a rare word (zeppelin), the organization", "zeppelin", null, 1],
        ["a common word (invoice), the organization, page 1", "invoice", null, 1],
        ["a common word (invoice), the organization, page 500", "invoice", null, 500],
        ["a phrase (refund order), the organization", "refund order", null, 1],
        ["a common word (invoice), an agent's 100 rooms", "invoice", agentRooms, 1],
        ["no match (qqqq), the organization", "qqqq", null, 1],
      ] as const;
      try {
        for (const [name, text, roomIds, page] of cases) {
          const times: number[] = [];
          let total = 0;
          for (let i = 0; i < 9; i++) {
            const t0 = performance.now();
            const found = await store.messages.search("bench-org", {
              text,
              roomIds: roomIds ? [...roomIds] : null,
              includeNotes: true,
            }, { page, limit: 20 });
            times.push(performance.now() - t0);
            total = found.total;
          }
          rows.push({
            benchmark: `SQLite 1M messages: search ${name}`,
            result: `${median(times).toFixed(1)} ms`,
            target: "< 100 ms per page",
            detail: `median of 9, ${total.toLocaleString("en")} hits, page ${page} of 20`,
          });
        }
      } finally {
        await store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    return rows;
  },
};
