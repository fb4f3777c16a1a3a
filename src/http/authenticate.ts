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
  return async function authenticate(c, next) {
    await auth(c, async () => {
      const { orgId, role } = c.var.auth;
      if (orgId) await access.enforce(orgId, role, c.var.ip);
      await next();
    });
  };
}
