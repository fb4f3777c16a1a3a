import assert from "node:assert/strict";
import { systemIds, uuidv7 } from "@/ids.ts";
import { fixedClock } from "@/clock.ts";

Deno.test("uuidv7() is a version 7, variant 1 UUID carrying its time", () => {
  const id = uuidv7(Date.parse("2026-01-02T03:04:05.678Z"));
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(
    parseInt(id.replaceAll("-", "").slice(0, 12), 16),
    Date.parse("2026-01-02T03:04:05.678Z"),
  );
});

Deno.test("systemIds() keeps increasing within one millisecond and past its sequence", () => {
  const clock = fixedClock("2026-01-01T00:00:00.000Z");
  const ids = systemIds(clock);
  const made = Array.from({ length: 5000 }, () => ids.next());
  assert.deepEqual([...made].sort(), made);
  assert.equal(new Set(made).size, made.length);
  clock.set("2025-01-01T00:00:00.000Z");
  const later = ids.next();
  assert.ok(later > made.at(-1)!, "a clock going back never makes a smaller id");
});
