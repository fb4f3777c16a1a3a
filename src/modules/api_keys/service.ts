import { timingSafeEqual } from "node:crypto";
import type { Deps } from "@/deps.ts";
import { AppError, notFound } from "@/errors.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import { audit } from "@/modules/audit/service.ts";
import type { AuthContext } from "@/modules/auth/context.ts";
import { type ApiKey, apiKeyPrefix, type ApiKeyScope } from "./model.ts";

/** A key as the API shows it: never its hash. */
export type ApiKeyView = Omit<ApiKey, "secretHash">;

export interface NewApiKey {
  name: string;
  scopes: ApiKeyScope[];
  expiresAt: string | null;
}

/** Who a valid key is: its organization, name and scopes. */
export interface IntegrationCaller {
  keyId: string;
  orgId: string;
  name: string;
  scopes: ApiKeyScope[];
  /** When the key stops working (ISO), or null. */
  expiresAt: string | null;
}

/** Who makes or revokes a key, for the audit log. */
export type Changer = Pick<AuthContext, "userId" | "role">;

export interface ApiKeyService {
  list(orgId: string, page: PageRequest): Promise<PageResult<ApiKeyView>>;
  /** A new key; the key itself is in this answer only. */
  create(orgId: string, by: Changer, input: NewApiKey): Promise<ApiKeyView & { key: string }>;
  /** Revokes the key: it stops working at once, on every instance (each use reads the store). */
  remove(orgId: string, by: Changer, id: string): Promise<void>;
  /** The caller a presented key stands for, or null (unknown, revoked, expired, wrong secret). */
  authenticate(key: string, ip: string): Promise<IntegrationCaller | null>;
  /** Whether the key still stands (not revoked, not expired): for sockets it opened. */
  stillValid(orgId: string, keyId: string): Promise<boolean>;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

async function sha256(text: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

/** `ccrm_<orgId>_<keyId>_<secret>`, or null when the text is not shaped so. */
function parseKey(key: string) {
  const m = /^ccrm_([A-Za-z0-9-]{1,64})_([A-Za-z0-9-]{1,64})_([0-9a-f]{64})$/.exec(key);
  return m ? { orgId: m[1]!, keyId: m[2]!, secret: m[3]! } : null;
}

export function apiKeyView({ secretHash: _h, ...view }: ApiKey): ApiKeyView {
  return view;
}

/** Integration keys: made and revoked by Admins, checked on every request that presents one. */
export function createApiKeyService(
  deps: Pick<Deps, "store" | "clock" | "ids" | "log">,
  options: {
    /** Told after a key is revoked, to close its sockets here and on other instances. */
    revoked?: (keyId: string) => Promise<void>;
  } = {},
): ApiKeyService {
  const keys = deps.store.documents("api_keys");
  const record = (orgId: string, by: Changer, action: "created" | "revoked", key: ApiKey) =>
    audit(deps, {
      organizationId: orgId,
      action: `api_key.${action}`,
      actor: by,
      targetType: "api_key",
      targetId: key.id,
      ip: null,
      details: { name: key.name, scopes: key.scopes },
    });
  return {
    async list(orgId, page) {
      const r = await keys.find(orgId, { sort: [["createdAt", "asc"]], page });
      return { data: r.data.map(apiKeyView), total: r.total };
    },
    async create(orgId, by, input) {
      if (input.expiresAt && Date.parse(input.expiresAt) <= deps.clock.now().getTime()) {
        throw new AppError("VALIDATION_FAILED", "Request validation failed", {
          details: [{ path: "expiresAt", message: "must be in the future" }],
        });
      }
      const id = deps.ids.next();
      const secret = hex(crypto.getRandomValues(new Uint8Array(32)));
      const key = `${apiKeyPrefix}${orgId}_${id}_${secret}`;
      const stored = await keys.insert({
        id,
        organizationId: orgId,
        name: input.name,
        scopes: [...new Set(input.scopes)],
        secretHash: await sha256(secret),
        lastChars: secret.slice(-4),
        expiresAt: input.expiresAt,
        lastUsedAt: null,
        lastUsedIp: null,
        createdBy: by.userId,
        createdAt: deps.clock.now().toISOString(),
      });
      await record(orgId, by, "created", stored);
      return { ...apiKeyView(stored), key };
    },
    async remove(orgId, by, id) {
      const stored = await keys.get(orgId, id);
      if (!stored || !await keys.delete(orgId, id)) throw notFound("API key", id);
      await record(orgId, by, "revoked", stored);
      await options.revoked?.(id);
    },
    async stillValid(orgId, keyId) {
      const stored = await keys.get(orgId, keyId);
      return !!stored &&
        (!stored.expiresAt || Date.parse(stored.expiresAt) > deps.clock.now().getTime());
    },
    async authenticate(presented, ip) {
      const parsed = parseKey(presented);
      if (!parsed) return null;
      const stored = await keys.get(parsed.orgId, parsed.keyId);
      if (!stored) return null;
      const given = new TextEncoder().encode(await sha256(parsed.secret));
      if (!timingSafeEqual(given, new TextEncoder().encode(stored.secretHash))) return null;
      const now = deps.clock.now();
      if (stored.expiresAt && Date.parse(stored.expiresAt) <= now.getTime()) return null;
      // Written at most once a minute per key, so a busy integration does not write per request.
      if (!stored.lastUsedAt || now.getTime() - Date.parse(stored.lastUsedAt) >= 60_000) {
        await keys.update(stored.organizationId, stored.id, {
          lastUsedAt: now.toISOString(),
          lastUsedIp: ip,
        });
      }
      return {
        keyId: stored.id,
        orgId: stored.organizationId,
        name: stored.name,
        scopes: stored.scopes,
        expiresAt: stored.expiresAt,
      };
    },
  };
}
