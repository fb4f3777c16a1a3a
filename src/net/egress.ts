import { lookup as dnsLookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Where a connection made on a tenant's behalf goes, as the tenant wrote it. */
export interface EgressTarget {
  host: string;
  port: number;
}

/** A target the policy let through: connect to `address`, present `servername` for TLS. */
export interface CheckedTarget {
  /** The name as given (for messages). */
  host: string;
  port: number;
  /** The checked IP address to connect to (never the name: no second lookup). */
  address: string;
  /** The name for SNI and certificate checks; undefined when the host was an IP literal. */
  servername: string | undefined;
}

/** Resolves a name to its addresses (node:dns by default; tests pass their own). */
export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

/** The policy every outbound connection on a tenant's behalf goes through (mail, webhooks). */
export interface EgressPolicy {
  /**
   * Resolves the host and answers the first address the policy allows; rejects with
   * `EgressRefused` when none is, `EgressNameNotFound` when the name does not resolve.
   */
  check(target: EgressTarget, options?: { timeoutMs?: number }): Promise<CheckedTarget>;
}

/**
 * How a connection on a tenant's behalf is made: through the policy, with a timeout. A client
 * checks its target first, then connects to `address` (raw sockets, imapflow, nodemailer, or
 * node:https with `servername` and a Host header for webhooks).
 */
export interface Outbound {
  egress: EgressPolicy;
  timeoutMs: number;
}

/** The host resolved only to addresses the policy refuses. */
export class EgressRefused extends Error {
  override name = "EgressRefused";
  readonly code = "EGRESS_REFUSED";
  /** The range that refused it, such as "loopback" or "private". */
  readonly range: string;
  constructor(host: string, range: string) {
    super(`Connections to "${host}" are refused by the egress policy (${range} address)`);
    this.range = range;
  }
}

/** The host name did not resolve. */
export class EgressNameNotFound extends Error {
  override name = "EgressNameNotFound";
  readonly code = "ENOTFOUND";
  constructor(host: string) {
    super(`Cannot resolve "${host}"`);
  }
}

/** Cloud metadata endpoints, named for the message (each is also in a refused range). */
const metadata = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"]);

/** `[::1]` → `::1`; anything else unchanged. */
function bare(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** An IPv4-mapped IPv6 address is judged as the IPv4 address it carries. */
function unmapped(address: Address): Address {
  return address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

/** Parses a comma-separated CIDR list such as `10.0.0.0/8,fd00::/8`; throws on a bad entry. */
export function parseCidrs(list: string[]): [Address, number][] {
  return list.map((cidr): [Address, number] => {
    try {
      const [addr, bits] = ipaddr.parseCIDR(cidr);
      const v4 = unmapped(addr);
      // `::ffff:10.0.0.0/104` is 10.0.0.0/8, the way addresses are judged.
      return v4 !== addr && bits >= 96 ? [v4, bits - 96] : [addr, bits];
    } catch {
      throw new Error(`"${cidr}" is not a CIDR such as 10.0.0.0/8 or fd00::/8`);
    }
  });
}

/**
 * Why the address is refused ("loopback", "private", "cloud metadata", ...), or null when the
 * policy lets it through: only global unicast addresses pass, unless an allowed CIDR holds them.
 */
export function refusedRange(address: string, allowed: [Address, number][] = []): string | null {
  const parsed = unmapped(ipaddr.parse(address));
  if (allowed.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits))) {
    return null;
  }
  if (metadata.has(parsed.toNormalizedString()) || metadata.has(parsed.toString())) {
    return "cloud metadata";
  }
  const range = parsed.range();
  return range === "unicast" ? null : range;
}

async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => timer = setTimeout(() => reject(onTimeout()), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * The egress policy: a host is resolved once, each address judged by `refusedRange`, and the
 * caller connects to the address answered, so a name cannot resolve to another place later
 * (DNS rebinding). Numeric forms (`2130706433`, `0x7f000001`, `127.1`) are read as the address
 * they denote, the way the system resolver would.
 */
export function egressPolicy(
  options: { allowedCidrs?: string[]; lookup?: Lookup; timeoutMs?: number } = {},
): EgressPolicy {
  const allowed = parseCidrs(options.allowedCidrs ?? []);
  const lookup = options.lookup ?? systemLookup;
  return {
    async check(target, opts = {}) {
      const host = bare(target.host.trim());
      const literal = ipaddr.isValid(host);
      let addresses: string[];
      if (literal) addresses = [ipaddr.parse(host).toString()];
      else {
        const ms = opts.timeoutMs ?? options.timeoutMs ?? 30_000;
        const found = await withTimeout(
          lookup(host).catch(() => []),
          ms,
          () => Object.assign(new Error(`Timed out resolving "${host}"`), { code: "ETIMEDOUT" }),
        );
        addresses = found.map((f) => f.address).filter((a) => ipaddr.isValid(a));
        if (!addresses.length) throw new EgressNameNotFound(host);
      }
      let refused = "";
      for (const address of addresses) {
        const range = refusedRange(address, allowed);
        if (range === null) {
          return {
            host: target.host,
            port: target.port,
            address: unmapped(ipaddr.parse(address)).toString(),
            servername: literal ? undefined : host,
          };
        }
        refused ||= range;
      }
      throw new EgressRefused(target.host, refused);
    },
  };
}
