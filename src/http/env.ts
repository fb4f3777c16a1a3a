import type { Context, MiddlewareHandler } from "hono";
import type { Services } from "@/services.ts";
import type { Actor, Caller } from "@/modules/users/actor.ts";
import type { AuthContext } from "@/modules/auth/context.ts";

export type { AuthContext };

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
  const actor: Actor = {
    userId: auth.userId,
    orgId: c.get("orgId"),
    role: auth.role,
    ip: c.get("ip"),
  };
  if (auth.integration) {
    actor.integration = { keyId: auth.integration.keyId, name: auth.integration.name };
  }
  if (auth.visitor) actor.visitor = auth.visitor;
  return actor;
}

/** The caller of a platform route, where no organization is in play. */
export function callerOf(c: Context<AppEnv, string, object>): Caller {
  const auth = c.get("auth");
  return { userId: auth.userId, role: auth.role, ip: c.get("ip") };
}

/** What the routers are given: the process's services and the authentication built on them. */
export type RouterServices = Services & { authenticate: MiddlewareHandler<AppEnv> };
