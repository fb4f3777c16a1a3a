/** Local days in an IANA time zone, through Intl: boundaries follow daylight-saving changes. */

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formats.set(tz, f);
  }
  return f;
}

/** Whether Intl knows the zone. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const quarterHour = 900_000;
const offsets = new Map<string, number>();

/**
 * The local wall clock of instant `t` in `tz`, as milliseconds of a UTC-based calendar. Zone
 * offsets are multiples of 15 minutes and change on quarter hours, so one Intl lookup per zone
 * and quarter hour serves every instant in it (exports format many dates).
 */
export function wallClock(t: number, tz: string): number {
  const bucket = Math.floor(t / quarterHour) * quarterHour;
  const key = `${tz}|${bucket}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    offset = exactWallClock(bucket, tz) - bucket;
    if (offsets.size >= 100_000) offsets.clear();
    offsets.set(key, offset);
  }
  return t + offset;
}

function exactWallClock(t: number, tz: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatFor(tz).formatToParts(new Date(t))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return Date.UTC(
    parts.year!,
    parts.month! - 1,
    parts.day!,
    parts.hour! % 24,
    parts.minute!,
    parts.second!,
  ) + (t % 1000 + 1000) % 1000;
}

/** The local date (`YYYY-MM-DD`) of instant `t` in `tz`. */
export function localDay(t: number, tz: string): string {
  return new Date(wallClock(t, tz)).toISOString().slice(0, 10);
}

/** `day` moved by `n` calendar days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** The instant local midnight starts `day` in `tz` (the first instant of the day). */
export function startOfDay(day: string, tz: string): number {
  const wall = Date.parse(`${day}T00:00:00Z`);
  let t = wall - (wallClock(wall, tz) - wall);
  t = wall - (wallClock(t, tz) - t);
  // A midnight skipped by a DST change: the day starts at the first instant that belongs to it.
  if (localDay(t, tz) !== day) t += 3_600_000;
  return t;
}

/** The instants of local days `from` through `to` (inclusive) in `tz`, as `[from, to)`. */
export function daysRange(from: string, to: string, tz: string): { from: string; to: string } {
  return {
    from: new Date(startOfDay(from, tz)).toISOString(),
    to: new Date(startOfDay(addDays(to, 1), tz)).toISOString(),
  };
}

/** Every date from `from` through `to`, inclusive. */
export function eachDay(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return days;
}

/** Whole days from `from` to `to` (0 when equal). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Whether `day` is a real calendar date written `YYYY-MM-DD`. */
export function isDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const t = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === day;
}
