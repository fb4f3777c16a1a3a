import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.ts";

/**
 * The client's address: the socket's, or, only when the deployment says a proxy in front sets
 * it (TRUST_PROXY), the last `X-Forwarded-For` entry: the one that proxy appended. Earlier
 * entries come from the client and can be forged.
 */
export function clientIp(c: Context, trustProxy: boolean): string {
  const forwarded = trustProxy ? proxied(c, "x-forwarded-for") : undefined;
  if (forwarded) return normalizeIp(forwarded);
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return normalizeIp(info?.remoteAddr?.hostname ?? "127.0.0.1");
}

/**
 * What the trusted proxy in front says in an `X-Forwarded-*` header: the last entry, the one it
 * appended (earlier ones come from the client and can be forged). Only call it under TRUST_PROXY.
 */
export function proxied(c: Context, header: string): string | undefined {
  return c.req.header(header)?.split(",").at(-1)?.trim() || undefined;
}

/** Strips brackets and the IPv4-mapped IPv6 prefix, so "::ffff:10.0.0.1" is "10.0.0.1". */
export function normalizeIp(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return mapped ? mapped[1]! : bare.toLowerCase();
}

/** Sets `c.get("ip")` once per request, so middleware and routes agree on the client's address. */
export function clientAddress(trustProxy: boolean): MiddlewareHandler<AppEnv> {
  return function clientAddress(c, next) {
    c.set("ip", clientIp(c, trustProxy));
    return next();
  };
}
