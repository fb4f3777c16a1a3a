import type { Context, MiddlewareHandler, Next } from "hono";
import { AppError } from "@/errors.ts";
import type { AccessService } from "@/modules/access/service.ts";
import type { TokenService } from "@/modules/auth/tokens.ts";
import { apiKeyAreas, apiKeyPrefix, socketScopes } from "@/modules/api_keys/model.ts";
import type { ApiKeyService } from "@/modules/api_keys/service.ts";
import type { VisitorService } from "@/modules/widget/visitors.ts";
import { requestToken, requireAuth } from "./auth.ts";
import { isVisitorToken, visitor } from "./visitor_auth.ts";
import type { AppEnv } from "./env.ts";

const integrationPaths = new RegExp(`^/api/v1/(${apiKeyAreas.join("|")})(/|$)`);

/**
 * A valid token (401 otherwise), from an active organization (403), and for staff of an
 * organization with an IP allow-list, from an allowed address (403 IP_DENIED). An API key
 * (`Authorization: Bearer ccrm_…`) acts as an integration of its organization, on the areas
 * its scopes name only.
 */
export function authenticate(
  tokens: TokenService,
  access: AccessService,
  apiKeys?: Pick<ApiKeyService, "authenticate">,
  visitors?: Pick<VisitorService, "authenticate" | "inboxOf">,
): MiddlewareHandler<AppEnv> {
  const auth = requireAuth(tokens);
  // Not async on purpose: on the usual path (a known token, cached rules) nothing is awaited
  // before the handler runs.
  return function authenticate(c, next) {
    const presented = requestToken(c);
    if (apiKeys && presented?.startsWith(apiKeyPrefix)) {
      return integration(c, next, presented, apiKeys, access);
    }
    if (visitors && isVisitorToken(presented)) return visitor(c, next, presented, visitors);
    return auth(c, () => {
      const { orgId, role } = c.get("auth");
      const pending = orgId ? access.enforce(orgId, role, c.get("ip")) : undefined;
      return pending ? pending.then(next) : next();
    });
  };
}

async function integration(
  c: Context<AppEnv>,
  next: Next,
  key: string,
  apiKeys: Pick<ApiKeyService, "authenticate">,
  access: AccessService,
) {
  const caller = await apiKeys.authenticate(key, c.get("ip"));
  if (!caller) throw new AppError("UNAUTHORIZED", "Unknown, expired or revoked API key");
  const socket = c.req.path === "/ws";
  if (socket && !caller.scopes.some((s) => socketScopes.includes(s))) {
    throw new AppError("FORBIDDEN", `The socket needs a key with ${socketScopes.join(" or ")}`);
  }
  if (!socket && !integrationPaths.test(c.req.path)) {
    throw new AppError("FORBIDDEN", `API keys reach /api/v1/{${apiKeyAreas.join(",")}} only`);
  }
  // Inside the services an integration has an Admin's reach in its organization; what it may
  // do at all is its scopes' (requirePermission).
  c.set("auth", {
    userId: `apikey:${caller.keyId}`,
    orgId: caller.orgId,
    role: "Admin",
    tokenId: caller.keyId,
    sessionId: caller.keyId,
    // In seconds, as a token's: an open socket of the key closes when it expires.
    expiresAt: caller.expiresAt
      ? Math.ceil(Date.parse(caller.expiresAt) / 1000)
      : Number.MAX_SAFE_INTEGER,
    integration: { keyId: caller.keyId, name: caller.name, scopes: caller.scopes },
  });
  const pending = access.enforce(caller.orgId, "Admin", c.get("ip"));
  if (pending) await pending;
  await next();
}
