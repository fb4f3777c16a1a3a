/** An address or range, parsed: bits of the network and how many of them count. */
interface Range {
  v: 4 | 6;
  bits: bigint;
  prefix: number;
}

function parseV4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p[0] === "0")) return null;
    n = (n << 8n) | BigInt(p);
  }
  return n;
}

function parseV6(text: string): bigint | null {
  let head = text;
  let tailV4: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...left, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...right];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== null) n = (n & ~0xffffffffn) | tailV4;
  return n;
}

/** Parses an IPv4/IPv6 address or CIDR range; null when it is not one. */
export function parseRange(text: string): Range | null {
  const [addr, prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || !addr) return null;
  const v4 = parseV4(addr);
  const v: 4 | 6 = v4 !== null ? 4 : 6;
  const bits = v4 ?? parseV6(addr);
  if (bits === null) return null;
  const max = v === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  return { v, bits: bits & mask(v, prefix), prefix };
}

function mask(v: 4 | 6, prefix: number): bigint {
  const max = v === 4 ? 32 : 128;
  return ((1n << BigInt(prefix)) - 1n) << BigInt(max - prefix);
}

function format(r: Range): string {
  let text: string;
  if (r.v === 4) {
    text = [24n, 16n, 8n, 0n].map((s) => String((r.bits >> s) & 255n)).join(".");
  } else {
    const groups = Array.from({ length: 8 }, (_, i) => (r.bits >> BigInt(112 - 16 * i)) & 0xffffn);
    text = compressV6(groups.map((g) => g.toString(16)));
  }
  return r.prefix === (r.v === 4 ? 32 : 128) ? text : `${text}/${r.prefix}`;
}

function compressV6(groups: string[]): string {
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(":");
  return `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}

/** The canonical text of an address or range ("10.1.2.3/8" → "10.0.0.0/8"), or null. */
export function canonicalRange(text: string): string | null {
  const r = parseRange(text);
  return r ? format(r) : null;
}

/** True when the address is inside the range. IPv4-mapped IPv6 addresses count as IPv4. */
export function rangeContains(rangeText: string, address: string): boolean {
  const range = parseRange(rangeText);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = parseRange(mapped ?? address);
  if (!range || !ip || ip.prefix !== (ip.v === 4 ? 32 : 128) || range.v !== ip.v) return false;
  return (ip.bits & mask(range.v, range.prefix)) === range.bits;
}

/** True for loopback, private and link-local addresses (no geolocation for them). */
export function isPrivateAddress(address: string): boolean {
  return ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]
    .some((r) => rangeContains(r, address)) ||
    ["::1/128", "fc00::/7", "fe80::/10", "::/128"].some((r) => rangeContains(r, address));
}
