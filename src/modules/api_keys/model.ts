/**
 * What a key may be allowed, per area (a write scope includes reading the area). `chat:write`
 * makes a bot: it posts into its organization's query rooms with a sender role of its own.
 */
export const apiKeyScopes = [
  "queries:read",
  "queries:write",
  "chat:read",
  "chat:write",
  "reports:read",
  "faq:read",
  "faq:write",
  "webhooks:write",
] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];
/** The path areas under /api/v1 a key can reach at all (each needs its scope too). */
export const apiKeyAreas = ["queries", "chat", "reports", "faq", "webhooks"] as const;

/** The scopes that open `/ws` to a key. */
export const socketScopes: readonly ApiKeyScope[] = ["chat:read", "chat:write"];

/** Every key starts so, then names its organization and itself: `ccrm_<org>_<key>_<secret>`. */
export const apiKeyPrefix = "ccrm_";

/** A credential for a server or a bot, acting as an integration of one organization. */
export interface ApiKey {
  id: string;
  organizationId: string;
  name: string;
  scopes: ApiKeyScope[];
  /** SHA-256 (hex) of the secret part; the key itself is never stored. */
  secretHash: string;
  /** The last characters of the key, to tell keys apart in a list. */
  lastChars: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  createdBy: string;
  createdAt: string;
}
