import type { Context } from "hono";

/**
 * The client's address: the socket's, or the first `X-Forwarded-For` entry only when the
 * deployment says a proxy in front sets it (TRUST_PROXY).
 */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return normalizeIp(forwarded);
  }
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return normalizeIp(info?.remoteAddr?.hostname ?? "127.0.0.1");
}

/** Strips brackets and the IPv4-mapped IPv6 prefix, so "::ffff:10.0.0.1" is "10.0.0.1". */
export function normalizeIp(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return mapped ? mapped[1]! : bare.toLowerCase();
}
