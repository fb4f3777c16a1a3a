/** Opening hours of one day: `from` and `to` as local `HH:MM` (`to` may be `24:00`). */
export interface OpenSpan {
  from: string;
  to: string;
}

export const weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof weekdays)[number];

/** When an organization is open: a zone, weekly hours, and dated holidays or exceptions. */
export interface BusinessHours {
  /** An IANA zone, such as `Europe/Berlin`. */
  timezone: string;
  /** Each day's spans; a day not named is closed. */
  weekly: Partial<Record<Weekday, OpenSpan[] | undefined>>;
  /** A date's own hours instead of its weekday's; no spans is a holiday. */
  exceptions: { date: string; name?: string | undefined; hours: OpenSpan[] }[];
}

const dayMs = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

function parts(timezone: string, at: number) {
  let format = formats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formats.set(timezone, format);
  }
  const got: Record<string, number> = {};
  for (const p of format.formatToParts(new Date(at))) {
    if (p.type !== "literal") got[p.type] = Number(p.value);
  }
  return got as Record<"year" | "month" | "day" | "hour" | "minute" | "second", number>;
}

/** How far the zone's wall clock is ahead of UTC at that instant, in ms. */
function offset(timezone: string, at: number): number {
  const p = parts(timezone, at);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(at / 1000) * 1000;
}

/** The instant of a local wall time (a time skipped by a clock change lands just after it). */
function instantOf(timezone: string, y: number, m: number, d: number, minutes: number): number {
  const wall = Date.UTC(y, m - 1, d, 0, minutes);
  const first = wall - offset(timezone, wall);
  return wall - offset(timezone, first);
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h! * 60 + m!;
}

/** The local date (`YYYY-MM-DD`, its weekday) at an instant. */
export function localDay(timezone: string, at: number): { y: number; m: number; d: number } {
  const p = parts(timezone, at);
  return { y: p.year, m: p.month, d: p.day };
}

/** The open intervals (UTC ms) of one local date, in order. */
function intervals(hours: BusinessHours, y: number, m: number, d: number): [number, number][] {
  const date = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  const exception = hours.exceptions.find((e) => e.date === date);
  const weekday = weekdays[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]!;
  const spans = exception ? exception.hours : hours.weekly[weekday] ?? [];
  return spans
    .map((s): [number, number] => [
      instantOf(hours.timezone, y, m, d, minutesOf(s.from)),
      instantOf(hours.timezone, y, m, d, minutesOf(s.to)),
    ])
    .filter(([a, b]) => b > a)
    .sort((a, b) => a[0] - b[0]);
}

/** The open intervals from the local day of `from` on, a day at a time, for at most `days`. */
function* openFrom(hours: BusinessHours, from: number, days = 400) {
  const start = localDay(hours.timezone, from);
  for (let i = -1; i <= days; i++) {
    const noon = new Date(Date.UTC(start.y, start.m - 1, start.d + i, 12));
    yield* intervals(hours, noon.getUTCFullYear(), noon.getUTCMonth() + 1, noon.getUTCDate());
  }
}

/** Whether the organization is open at that instant. */
export function isOpenAt(hours: BusinessHours, at: number): boolean {
  const day = localDay(hours.timezone, at);
  return intervals(hours, day.y, day.m, day.d).some(([a, b]) => a <= at && at < b);
}

/**
 * The instant `ms` of open time after `from` (a target counted in business time). With no
 * opening hours in the next 400 days, calendar time.
 */
export function addBusinessTime(hours: BusinessHours, from: number, ms: number): number {
  let left = ms;
  for (const [a, b] of openFrom(hours, from)) {
    if (b <= from) continue;
    const start = Math.max(a, from);
    if (left <= b - start) return start + left;
    left -= b - start;
  }
  return from + ms;
}

/** Open time between two instants, in ms. */
export function businessTimeBetween(hours: BusinessHours, from: number, to: number): number {
  let total = 0;
  const days = Math.ceil((to - from) / dayMs) + 1;
  for (const [a, b] of openFrom(hours, from, days)) {
    if (a >= to) break;
    total += Math.max(0, Math.min(b, to) - Math.max(a, from));
  }
  return total;
}
