import assert from "node:assert/strict";
import {
  addBusinessTime,
  type BusinessHours,
  businessTimeBetween,
  isOpenAt,
} from "@/modules/business_hours/clock.ts";

const nineToFive = [{ from: "09:00", to: "17:00" }];
const berlin: BusinessHours = {
  timezone: "Europe/Berlin",
  weekly: {
    mon: nineToFive,
    tue: nineToFive,
    wed: nineToFive,
    thu: nineToFive,
    fri: nineToFive,
    sat: nineToFive,
  },
  exceptions: [
    { date: "2026-12-25", name: "Christmas", hours: [] },
    { date: "2026-12-24", hours: [{ from: "09:00", to: "12:00" }] },
  ],
};
const at = (iso: string) => Date.parse(iso);
const hour = 3_600_000;

Deno.test("business hours: open and closed by the local wall clock, on both sides of a clock change", () => {
  // 08:30 UTC is 09:30 in winter (CET) and 10:30 in summer (CEST).
  assert.equal(isOpenAt(berlin, at("2026-03-28T08:30:00Z")), true);
  assert.equal(isOpenAt(berlin, at("2026-03-28T07:30:00Z")), false, "08:30 CET");
  assert.equal(isOpenAt(berlin, at("2026-03-30T07:30:00Z")), true, "09:30 CEST");
  assert.equal(isOpenAt(berlin, at("2026-03-30T06:30:00Z")), false, "08:30 CEST");
  assert.equal(isOpenAt(berlin, at("2026-03-29T10:00:00Z")), false, "Sunday is closed");
  assert.equal(isOpenAt(berlin, at("2026-12-25T10:00:00Z")), false, "a holiday");
  assert.equal(isOpenAt(berlin, at("2026-12-24T10:00:00Z")), true, "11:00 on a short day");
  assert.equal(isOpenAt(berlin, at("2026-12-24T12:00:00Z")), false, "13:00 on a short day");
});

Deno.test("business hours: a target counts open time only, across the spring-forward weekend", () => {
  // Saturday 16:30 CET + 60 open minutes: 30 on Saturday, Sunday closed, 30 from Monday 09:00 CEST.
  const due = addBusinessTime(berlin, at("2026-03-28T15:30:00Z"), hour);
  assert.equal(new Date(due).toISOString(), "2026-03-30T07:30:00.000Z");
  // Out of hours, the clock starts at the next opening.
  const night = addBusinessTime(berlin, at("2026-10-24T20:00:00Z"), 2 * hour);
  assert.equal(new Date(night).toISOString(), "2026-10-26T10:00:00.000Z", "Monday 11:00 CET");
  assert.equal(businessTimeBetween(berlin, at("2026-03-28T15:30:00Z"), due), hour);
  // A holiday is skipped: Thursday 24th 11:00 + 2h → 1h that day, then Saturday 26th 10:00 CET.
  const xmas = addBusinessTime(berlin, at("2026-12-24T10:00:00Z"), 2 * hour);
  assert.equal(new Date(xmas).toISOString(), "2026-12-26T09:00:00.000Z");
});

Deno.test("business hours: a day open around the clock lasts 23 hours on 29 March and 25 on 25 October in Berlin", () => {
  const always: BusinessHours = {
    timezone: "Europe/Berlin",
    weekly: { sun: [{ from: "00:00", to: "24:00" }] },
    exceptions: [],
  };
  const week = (from: string, to: string) => businessTimeBetween(always, at(from), at(to)) / hour;
  assert.equal(week("2026-03-27T00:00:00Z", "2026-04-01T00:00:00Z"), 23);
  assert.equal(week("2026-10-23T00:00:00Z", "2026-10-28T00:00:00Z"), 25);
  // Open 01:00–04:00 on the spring-forward night: two real hours (02:00–03:00 never happens).
  const night: BusinessHours = { ...always, weekly: { sun: [{ from: "01:00", to: "04:00" }] } };
  assert.equal(
    businessTimeBetween(night, at("2026-03-28T00:00:00Z"), at("2026-03-30T00:00:00Z")),
    2 * hour,
  );
  assert.equal(
    new Date(addBusinessTime(night, at("2026-03-28T12:00:00Z"), 90 * 60_000)).toISOString(),
    "2026-03-29T01:30:00.000Z",
    "01:00 CET + 90 minutes = 03:30 CEST",
  );
});
