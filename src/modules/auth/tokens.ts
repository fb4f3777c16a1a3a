import { jwtVerify, SignJWT } from "jose";
import { durationSeconds } from "@/config.ts";
import { AppError } from "@/errors.ts";
import type { Deps } from "@/deps.ts";
import type { AuthContext } from "@/modules/auth/context.ts";
import { roles } from "@/modules/users/repository.ts";
import type { User } from "@/modules/users/repository.ts";

const revokedChannel = "auth:revoked";
const revokedUserChannel = "auth:revoked-user";
const cacheLimit = 10_000;

/** Issues and checks access tokens (HS256 JWTs); revocation is shared by every instance. */
export interface TokenService {
  /** A signed access token for the user. */
  issue(
    user: Pick<User, "id" | "organizationId" | "role">,
  ): Promise<{ token: string; auth: AuthContext }>;
  /** The verified caller; UNAUTHORIZED when the token is malformed, tampered, expired or revoked. */
  verify(token: string): Promise<AuthContext>;
  /**
   * The caller of a token this instance has verified before, without waiting; undefined when
   * the token is not known yet (then `verify` it). Expiry and revocation are checked each time.
   */
  known(token: string): AuthContext | undefined;
  /** Refuses the token's id from now until it expires, on every instance. */
  revoke(auth: Pick<AuthContext, "tokenId" | "expiresAt">): Promise<void>;
  /**
   * Refuses every token of the user issued up to now (deactivation, role change, password
   * reset), on every instance, until the last of them expires.
   */
  revokeUser(userId: string): Promise<void>;
  /** Subscribes to revocations published by other instances. */
  start(): Promise<void>;
}

const unauthorized = (message: string) => new AppError("UNAUTHORIZED", message);

export function createTokenService(
  deps: Pick<Deps, "jwtKey" | "config" | "clock" | "ids" | "shared" | "bus">,
): TokenService {
  const ttl = durationSeconds(deps.config.jwt.expiresIn);
  // Verified tokens by their text: verifying HS256 on every request costs more than the route.
  const verified = new Map<string, AuthContext>();
  const revoked = new Map<string, number>();
  /** User id → revocation time (ms): that user's tokens issued at or before it are refused. */
  const revokedUsers = new Map<string, number>();
  const nowSeconds = () => Math.floor(deps.clock.now().getTime() / 1000);

  /** The caller, unless the token has expired or been revoked since it was verified. */
  function stillValid(token: string, auth: AuthContext): AuthContext {
    if (auth.expiresAt <= nowSeconds()) {
      verified.delete(token);
      throw unauthorized("Invalid or expired token");
    }
    if (revoked.has(auth.tokenId)) throw unauthorized("Token has been revoked");
    const cut = revokedUsers.get(auth.userId);
    if (cut !== undefined && (auth.issuedAtMs ?? 0) <= cut) {
      throw unauthorized("Token has been revoked");
    }
    return auth;
  }

  function known(token: string): AuthContext | undefined {
    const auth = verified.get(token);
    return auth && stillValid(token, auth);
  }

  function remember(token: string, auth: AuthContext) {
    if (verified.size >= cacheLimit) verified.delete(verified.keys().next().value!);
    verified.set(token, auth);
  }

  return {
    async issue(user) {
      const iat = nowSeconds();
      const auth: AuthContext = {
        userId: user.id,
        orgId: user.organizationId,
        role: user.role,
        tokenId: deps.ids.next(),
        expiresAt: iat + ttl,
      };
      const iatMs = deps.clock.now().getTime();
      auth.issuedAtMs = iatMs;
      const token = await new SignJWT({ org: auth.orgId, role: auth.role, typ: "access", iatMs })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(auth.userId)
        .setJti(auth.tokenId)
        .setIssuedAt(iat)
        .setExpirationTime(auth.expiresAt)
        .sign(deps.jwtKey);
      return { token, auth };
    },
    known,
    async verify(token) {
      const seen = known(token);
      if (seen) return seen;
      let payload;
      try {
        ({ payload } = await jwtVerify(token, deps.jwtKey, {
          algorithms: ["HS256"],
          currentDate: deps.clock.now(),
        }));
      } catch {
        throw unauthorized("Invalid or expired token");
      }
      const role = roles.find((r) => r === payload.role);
      if (
        payload.typ !== "access" || !payload.sub || !payload.jti || !payload.exp || !role ||
        !(typeof payload.org === "string" || payload.org === null)
      ) throw unauthorized("Invalid token");
      const fresh: AuthContext = {
        userId: payload.sub,
        orgId: payload.org,
        role,
        tokenId: payload.jti,
        expiresAt: payload.exp,
        issuedAtMs: typeof payload.iatMs === "number" ? payload.iatMs : (payload.iat ?? 0) * 1000,
      };
      // A token whose revocation cannot be looked up is not accepted: 503, not a 500.
      const [tokenRevoked, userCutText] = await Promise.all([
        deps.shared.get(`revoked:${fresh.tokenId}`),
        deps.shared.get(`revoked-user:${fresh.userId}`),
      ]).catch(() => {
        throw new AppError("UNAVAILABLE", "Sessions cannot be checked right now; retry shortly", {
          headers: { "Retry-After": "5" },
        });
      });
      if (tokenRevoked) revoked.set(fresh.tokenId, fresh.expiresAt);
      const userCut = Number(userCutText ?? 0);
      if (userCut > (revokedUsers.get(fresh.userId) ?? 0)) revokedUsers.set(fresh.userId, userCut);
      remember(token, fresh);
      return stillValid(token, fresh);
    },
    async revoke(auth) {
      const ms = (auth.expiresAt - nowSeconds()) * 1000;
      if (ms <= 0) return;
      revoked.set(auth.tokenId, auth.expiresAt);
      await deps.shared.set(`revoked:${auth.tokenId}`, "1", ms);
      await deps.bus.publish(revokedChannel, { tokenId: auth.tokenId, expiresAt: auth.expiresAt });
    },
    async revokeUser(userId) {
      const at = deps.clock.now().getTime();
      revokedUsers.set(userId, at);
      await deps.shared.set(`revoked-user:${userId}`, String(at), ttl * 1000);
      await deps.bus.publish(revokedUserChannel, { userId, at });
    },
    async start() {
      await deps.bus.subscribe(revokedUserChannel, (payload) => {
        const p = payload as { userId?: unknown; at?: unknown };
        if (typeof p.userId === "string" && typeof p.at === "number") {
          revokedUsers.set(p.userId, Math.max(p.at, revokedUsers.get(p.userId) ?? 0));
        }
      });
      await deps.bus.subscribe(revokedChannel, (payload) => {
        const p = payload as { tokenId?: unknown; expiresAt?: unknown };
        if (typeof p.tokenId === "string" && typeof p.expiresAt === "number") {
          revoked.set(p.tokenId, p.expiresAt);
        }
      });
      const sweep = setInterval(() => {
        const now = nowSeconds();
        for (const [id, exp] of revoked) if (exp <= now) revoked.delete(id);
        for (const [id, at] of revokedUsers) {
          if (at + ttl * 1000 <= now * 1000) revokedUsers.delete(id);
        }
      }, 60_000);
      Deno.unrefTimer(sweep);
    },
  };
}
