import type { Context } from "hono";
import type { Actor, Role } from "@/modules/users/repository.ts";

/** Who is calling, from a verified access token. */
export interface AuthContext {
  userId: string;
  /** The caller's own organization; null for a SuperAdmin. */
  orgId: string | null;
  role: Role;
  /** The token's id. */
  tokenId: string;
  /** The session (one login and its refreshes) the token belongs to: logout ends it. */
  sessionId: string;
  /** Expiry of the token, in seconds since the epoch. */
  expiresAt: number;
  /** When the token was issued, in milliseconds (per-user revocation compares it). */
  issuedAtMs?: number;
}

/**
 * Hono environment for every router: the typed values middleware sets. Read them with
 * `c.get(name)`; `c.var` copies every variable into a new object on each access.
 */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The client's address, read once per request (see `clientAddress`). */
    ip: string;
    auth: AuthContext;
    /** The organization this request acts on (see `tenant` middleware). */
    orgId: string;
  };
}

/** The caller of a tenant-scoped route (after `authenticate` and `tenant`). */
export function actorOf(c: Context<AppEnv, string, object>): Actor {
  // `c.get` rather than `c.var`: Hono builds a fresh object from all variables on each `c.var`.
  const auth = c.get("auth");
  return { userId: auth.userId, orgId: c.get("orgId"), role: auth.role };
}
