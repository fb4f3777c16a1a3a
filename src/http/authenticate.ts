import type { MiddlewareHandler } from "hono";
import type { AccessService } from "@/modules/access/service.ts";
import type { TokenService } from "@/modules/auth/tokens.ts";
import { requireAuth } from "./auth.ts";
import type { AppEnv } from "./env.ts";

/**
 * A valid token (401 otherwise), from an active organization (403), and for staff of an
 * organization with an IP allow-list, from an allowed address (403 IP_DENIED).
 */
export function authenticate(
  tokens: TokenService,
  access: AccessService,
): MiddlewareHandler<AppEnv> {
  const auth = requireAuth(tokens);
  // Not async on purpose: on the usual path (a known token, cached rules) nothing is awaited
  // before the handler runs.
  return function authenticate(c, next) {
    return auth(c, () => {
      const { orgId, role } = c.get("auth");
      const pending = orgId ? access.enforce(orgId, role, c.get("ip")) : undefined;
      return pending ? pending.then(next) : next();
    });
  };
}
