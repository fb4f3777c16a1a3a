import { jwtVerify, SignJWT } from "jose";
import { durationSeconds } from "@/config.ts";
import { AppError } from "@/errors.ts";
import type { Deps } from "@/deps.ts";
import type { AuthContext } from "@/modules/auth/context.ts";
import { roles } from "@/modules/users/repository.ts";
import type { User } from "@/modules/users/repository.ts";
import { createUserStates, type UserState } from "./user_states.ts";

const cacheLimit = 10_000;

/**
 * Issues and checks access tokens (HS256 JWTs). A token names its user and session; every
 * request acts with the user's stored status, role and organization, and revocations are
 * stored, so a restart or another instance forgets none.
 */
export interface TokenService {
  /** A signed access token for the user in the session (one login and its refreshes). */
  issue(
    user: Pick<User, "id" | "organizationId" | "role">,
    sessionId: string,
  ): Promise<{ token: string; auth: AuthContext }>;
  /**
   * The verified caller, as the store says; UNAUTHORIZED when the token is malformed,
   * tampered, expired or revoked, or its account is missing, deactivated or another one.
   */
  verify(token: string): Promise<AuthContext>;
  /**
   * The caller of a token this instance has verified before, without waiting, while the
   * user's stored state is cached; undefined otherwise (then `verify` it).
   */
  known(token: string): AuthContext | undefined;
  /** Refuses every token of the session from now on, on every instance (logout, replay). */
  endSession(auth: Pick<AuthContext, "userId" | "sessionId">): Promise<void>;
  /**
   * Refuses every token of the user issued up to now (deactivation, role change, password
   * change), except the session `keepSessionId`'s, on every instance.
   */
  revokeUser(userId: string, keepSessionId?: string): Promise<void>;
  /** Requests of the user act with their new stored state at once, on every instance. */
  changed(userId: string): Promise<void>;
  /** The user's state as stored now (read from the store, not the cache), or null. */
  current(userId: string, orgId: string | null): Promise<UserState | null>;
  /** Calls `listener` with the user's id whenever their state or sessions change. */
  onChange(listener: (userId: string) => void): void;
  /**
   * Whether a caller verified earlier is still accepted now (for long-lived connections),
   * reading the store when needed.
   */
  stillAccepted(auth: AuthContext): Promise<boolean>;
  /** Subscribes to changes published by other instances. */
  start(): Promise<void>;
}

/** What a token says, once its signature is checked. */
interface Claims {
  userId: string;
  orgId: string | null;
  role: AuthContext["role"];
  tokenId: string;
  sessionId: string;
  expiresAt: number;
  issuedAtMs: number;
}

/** A verified token, and the caller it makes with the state it was last checked against. */
interface Verified {
  claims: Claims;
  state: UserState | null;
  auth: AuthContext | null;
}

const unauthorized = (message: string) => new AppError("UNAUTHORIZED", message);

/** The caller the token makes with the user's stored state; throws when it refuses it. */
function admit(claims: Claims, state: UserState | null): AuthContext {
  if (!state || state.orgId !== claims.orgId) throw unauthorized("Invalid token");
  if (!state.active) throw unauthorized("This account is deactivated");
  if (state.endedSessions.has(claims.sessionId)) throw unauthorized("Token has been revoked");
  for (const cut of state.cutoffs) {
    if (claims.issuedAtMs <= cut.at && claims.sessionId !== cut.keep) {
      throw unauthorized("Token has been revoked");
    }
  }
  return {
    userId: claims.userId,
    orgId: state.orgId,
    role: state.role,
    tokenId: claims.tokenId,
    sessionId: claims.sessionId,
    expiresAt: claims.expiresAt,
    issuedAtMs: claims.issuedAtMs,
  };
}

export function createTokenService(
  deps: Pick<Deps, "jwtKey" | "config" | "clock" | "ids" | "bus" | "store" | "log" | "onShutdown">,
): TokenService {
  const ttl = durationSeconds(deps.config.jwt.expiresIn);
  const keepMs = Math.max(ttl, durationSeconds(deps.config.jwt.refreshExpiresIn)) * 1000;
  const states = createUserStates(deps);
  // Verified tokens by their text: verifying HS256 on every request costs more than the route.
  const verified = new Map<string, Verified>();
  const nowSeconds = () => Math.floor(deps.clock.now().getTime() / 1000);

  function unexpired(token: string, entry: Verified): Claims {
    if (entry.claims.expiresAt <= nowSeconds()) {
      verified.delete(token);
      throw unauthorized("Invalid or expired token");
    }
    return entry.claims;
  }

  /** The caller with this state, reusing the one built for the same state. */
  function callerOf(entry: Verified, state: UserState | null): AuthContext {
    if (entry.auth && entry.state === state) return entry.auth;
    const auth = admit(entry.claims, state);
    entry.state = state;
    entry.auth = auth;
    return auth;
  }

  function known(token: string): AuthContext | undefined {
    const entry = verified.get(token);
    if (!entry) return undefined;
    const claims = unexpired(token, entry);
    const state = states.cached(claims.userId);
    return state && callerOf(entry, state);
  }

  async function claimsOf(token: string): Promise<Claims> {
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
      typeof payload.sid !== "string" ||
      !(typeof payload.org === "string" || payload.org === null)
    ) throw unauthorized("Invalid token");
    return {
      userId: payload.sub,
      orgId: payload.org,
      role,
      tokenId: payload.jti,
      sessionId: payload.sid,
      expiresAt: payload.exp,
      issuedAtMs: typeof payload.iatMs === "number" ? payload.iatMs : (payload.iat ?? 0) * 1000,
    };
  }

  async function revoke(
    kind: "session" | "user",
    userId: string,
    sessionId: string | null,
  ): Promise<void> {
    const now = deps.clock.now();
    await deps.store.revocations.add({
      id: deps.ids.next(),
      kind,
      userId,
      sessionId,
      at: now.toISOString(),
      expiresAt: new Date(now.getTime() + keepMs).toISOString(),
    });
    await states.changed(userId);
    await deps.store.revocations.purge(now.toISOString()).catch((err) =>
      deps.log.warn("expired revocations not purged", { error: String(err) })
    );
  }

  return {
    async issue(user, sessionId) {
      const iat = nowSeconds();
      const iatMs = deps.clock.now().getTime();
      const auth: AuthContext = {
        userId: user.id,
        orgId: user.organizationId,
        role: user.role,
        tokenId: deps.ids.next(),
        sessionId,
        expiresAt: iat + ttl,
        issuedAtMs: iatMs,
      };
      const token = await new SignJWT({
        org: auth.orgId,
        role: auth.role,
        sid: sessionId,
        typ: "access",
        iatMs,
      })
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
      let entry = verified.get(token);
      if (!entry) {
        entry = { claims: await claimsOf(token), state: null, auth: null };
        if (verified.size >= cacheLimit) verified.delete(verified.keys().next().value!);
        verified.set(token, entry);
      }
      const claims = unexpired(token, entry);
      return callerOf(entry, await states.load(claims.userId, claims.orgId));
    },
    endSession: (auth) => revoke("session", auth.userId, auth.sessionId),
    revokeUser: (userId, keepSessionId) => revoke("user", userId, keepSessionId ?? null),
    changed: (userId) => states.changed(userId),
    current: (userId, orgId) => states.load(userId, orgId),
    onChange: (listener) => states.onChange(listener),
    async stillAccepted(auth) {
      const claims: Claims = {
        ...auth,
        issuedAtMs: auth.issuedAtMs ?? 0,
      };
      if (claims.expiresAt <= nowSeconds()) return false;
      try {
        admit(claims, states.cached(auth.userId) ?? await states.load(auth.userId, auth.orgId));
        return true;
      } catch (err) {
        if (err instanceof AppError && err.code === "UNAUTHORIZED") return false;
        throw err;
      }
    },
    async start() {
      await states.start();
      deps.onShutdown(() => states.stop());
    },
  };
}
