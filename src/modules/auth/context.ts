import type { Role } from "@/modules/users/repository.ts";

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
  /** Set when the caller presented an API key: it acts as an integration, within its scopes. */
  integration?: { keyId: string; name: string; scopes: readonly string[] };
  /** Set when a widget visitor calls: a Customer contact acting through its web inbox. */
  visitor?: { sessionId: string; inboxId: string };
}
