/** Makes ids; tests pass their own to get predictable values. */
export interface Ids {
  /** A new time-sortable id (UUIDv7). */
  next(): string;
}

/**
 * UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit sequence (`seq`, random when not
 * given), then random bits; sorts by creation time.
 */
export function uuidv7(nowMs: number = Date.now(), seq?: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = nowMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  if (seq !== undefined) {
    bytes[6] = (seq >> 8) & 0x0f;
    bytes[7] = seq & 0xff;
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  let id = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) id += "-";
    id += hexByte[bytes[i]!];
  }
  return id;
}

const hexByte = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * Ids from the clock that keep increasing within this process, even for several in one
 * millisecond (RFC 9562 method 1: the 12-bit sequence counts up; on overflow the time moves on).
 */
export function systemIds(clock: { now(): Date }): Ids {
  let lastMs = 0;
  let seq = 0;
  return {
    next() {
      const now = clock.now().getTime();
      if (now > lastMs) {
        lastMs = now;
        seq = 0;
      } else if (++seq > 0xfff) {
        lastMs++;
        seq = 0;
      }
      return uuidv7(lastMs, seq);
    },
  };
}
