import assert from "node:assert/strict";
import {
  addDays,
  daysRange,
  eachDay,
  isDay,
  isTimeZone,
  localDay,
  wallClock,
} from "@/modules/reports/time.ts";

const hours = (r: { from: string; to: string }) =>
  (Date.parse(r.to) - Date.parse(r.from)) / 3_600_000;

Deno.test("daysRange() follows daylight-saving changes of the zone", () => {
  const spring = daysRange("2026-03-29", "2026-03-29", "Europe/Berlin");
  assert.deepEqual(spring, { from: "2026-03-28T23:00:00.000Z", to: "2026-03-29T22:00:00.000Z" });
  assert.equal(hours(spring), 23);
  assert.equal(hours(daysRange("2026-10-25", "2026-10-25", "Europe/Berlin")), 25);
  assert.equal(hours(daysRange("2026-03-08", "2026-03-08", "America/New_York")), 23);
  assert.equal(hours(daysRange("2026-03-28", "2026-03-30", "Europe/Berlin")), 71);
  assert.deepEqual(daysRange("2026-01-01", "2026-01-01", "Asia/Kolkata"), {
    from: "2025-12-31T18:30:00.000Z",
    to: "2026-01-01T18:30:00.000Z",
  });
  // Santiago skips midnight itself: the day starts at 01:00 local.
  assert.equal(
    daysRange("2026-09-06", "2026-09-06", "America/Santiago").from,
    "2026-09-06T04:00:00.000Z",
  );
});

Deno.test("localDay() names the local date of an instant", () => {
  assert.equal(localDay(Date.parse("2026-03-28T23:00:00Z"), "Europe/Berlin"), "2026-03-29");
  assert.equal(localDay(Date.parse("2026-03-28T22:59:59Z"), "Europe/Berlin"), "2026-03-28");
  assert.equal(localDay(Date.parse("2026-03-29T03:00:00Z"), "America/Los_Angeles"), "2026-03-28");
});

Deno.test("isDay(), isTimeZone(), addDays() and eachDay() handle edges", () => {
  assert.ok(isDay("2028-02-29"));
  for (const d of ["2026-02-29", "2026-13-01", "2026-3-1", "20260301", ""]) assert.ok(!isDay(d));
  assert.ok(isTimeZone("Europe/Berlin") && isTimeZone("UTC"));
  assert.ok(!isTimeZone("Mars/Olympus"));
  assert.equal(addDays("2026-12-31", 1), "2027-01-01");
  assert.deepEqual(eachDay("2026-02-27", "2026-03-01"), ["2026-02-27", "2026-02-28", "2026-03-01"]);
});

Deno.test("wallClock() agrees with Intl at every minute around a DST change", () => {
  const f = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Europe/Berlin",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const start = Date.parse("2026-10-25T00:00:00Z");
  for (let t = start; t < start + 3 * 3_600_000; t += 60_000 + 7) {
    const expected = f.format(new Date(t)).replace(" ", "T");
    assert.equal(new Date(wallClock(t, "Europe/Berlin")).toISOString().slice(0, 19), expected);
  }
});
