import { durationSeconds } from "@/config.ts";
import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import type { AuthContext } from "@/modules/auth/context.ts";
import type { AccessService } from "@/modules/access/service.ts";
import { checkLocation, type Position } from "@/modules/access/location.ts";
import type { LoginAttempt } from "@/modules/access/repository.ts";
import { audit } from "@/modules/audit/service.ts";
import type { Organization } from "@/modules/organizations/repository.ts";
import { type PublicUser, publicUser, type User } from "@/modules/users/repository.ts";
import { dummyHash, keyedHash, randomToken, verifyPassword } from "./passwords.ts";
import type { AuthSecret } from "./repository.ts";
import type { TokenService } from "./tokens.ts";
import type { UserState } from "./user_states.ts";
import type { RoutingService } from "@/modules/routing/service.ts";

/** What a successful login, sign-up or refresh hands the client. */
export interface Session {
  token: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user: PublicUser;
}

/** Names one organization; a login, reset or sign-up may give its id or its slug. */
export interface OrganizationRef {
  organizationId?: string | undefined;
  organizationSlug?: string | undefined;
}

/** How many accounts one email may try in a login naming no organization. */
export const loginCandidateLimit = 5;

export interface LoginInput extends OrganizationRef {
  email: string;
  password: string;
  latitude?: number | undefined;
  longitude?: number | undefined;
  accuracy?: number | undefined;
}

const badLogin = () => new AppError("UNAUTHORIZED", "Invalid email or password");
const ambiguousLogin = () =>
  new AppError("UNAUTHORIZED", "Name the organization to sign in to", {
    details: [{
      path: "organizationSlug",
      message: "this email signs in to several organizations",
    }],
  });

/**
 * The accounts a login or a password reset by email may mean: the one in the named
 * organization, or, when none is named, every account with that email (at most
 * `loginCandidateLimit`). A login wants only accounts with a password; a reset also finds the
 * contacts without one, so a customer known by mail sets a first password by proving the address.
 */
export async function accountsFor(
  deps: Pick<Deps, "store">,
  email: string,
  ref: OrganizationRef,
  withPassword = true,
): Promise<User[]> {
  if (ref.organizationId === undefined && ref.organizationSlug === undefined) {
    return await deps.store.users.findAllByEmail(email, {
      limit: loginCandidateLimit,
      withPassword,
    });
  }
  const org = ref.organizationId !== undefined
    ? await deps.store.organizations.findById(ref.organizationId)
    : await deps.store.organizations.findBySlug(ref.organizationSlug ?? "");
  const user = org ? await deps.store.users.findByEmail(org.id, email) : null;
  return user && (user.passwordHash || !withPassword) ? [user] : [];
}

/** Sessions: login with every access policy, refresh rotation, logout. */
export function createSessionService(
  deps: Deps,
  services: {
    tokens: TokenService;
    access: AccessService;
    routing: Pick<RoutingService, "withAvailability">;
  },
) {
  const { tokens, access, routing } = services;
  const refreshTtl = durationSeconds(deps.config.jwt.refreshExpiresIn);
  const failWindowMs = deps.config.rateLimit.loginWindowSeconds * 1000;
  const failLimit = deps.config.rateLimit.loginFailures;
  const addressFailLimit = deps.config.rateLimit.addressLoginFailures;

  /** A new access token and refresh token in the session; a login starts a new session. */
  async function open(user: User, sessionId = deps.ids.next()): Promise<Session> {
    const { token, auth } = await tokens.issue(user, sessionId);
    const refreshToken = randomToken();
    const now = deps.clock.now();
    await deps.store.authSecrets.create({
      id: deps.ids.next(),
      kind: "refresh",
      userId: user.id,
      organizationId: user.organizationId,
      hash: await keyedHash(deps.jwtKey, refreshToken),
      sessionId,
      expiresAt: new Date(now.getTime() + refreshTtl * 1000).toISOString(),
      attempts: 0,
      usedAt: null,
      createdAt: now.toISOString(),
    });
    return {
      token,
      expiresIn: auth.expiresAt - Math.floor(now.getTime() / 1000),
      refreshToken,
      refreshExpiresIn: refreshTtl,
      user: (await routing.withAvailability([publicUser(user)]))[0]!,
    };
  }

  /** Ends a refresh token's session: its refresh tokens and its access tokens. */
  async function endFamily(secret: AuthSecret, at: string) {
    if (secret.sessionId) {
      await deps.store.authSecrets.consumeSession(secret.sessionId, at);
      await tokens.endSession({ userId: secret.userId, sessionId: secret.sessionId });
    } else {
      // A refresh token from before sessions were recorded: its family is the whole account.
      await deps.store.authSecrets.consumeAll("refresh", secret.userId, at);
      await tokens.revokeUser(secret.userId);
    }
  }

  /** Whether the stored state still accepts this refresh token (not ended, not cut off). */
  function refreshAllowed(secret: AuthSecret, state: UserState | null): boolean {
    if (!state?.active) return false;
    if (secret.sessionId && state.endedSessions.has(secret.sessionId)) return false;
    const issued = Date.parse(secret.createdAt);
    return !state.cutoffs.some((c) => issued <= c.at && (!c.keep || secret.sessionId !== c.keep));
  }

  async function activeOrg(user: User): Promise<Organization | null> {
    if (!user.organizationId) return null;
    const org = await deps.store.organizations.findById(user.organizationId);
    if (!org?.active) throw new AppError("FORBIDDEN", "This organization is deactivated");
    return org;
  }

  const failKey = (ip: string, email: string) => `loginfail:${ip}:${email}`;
  const blockKey = (ip: string, email: string) => `loginblock:${ip}:${email}`;
  // Across emails too: one address trying many accounts (password spraying) is stopped.
  const addressFailKey = (ip: string) => `loginfail-ip:${ip}`;
  const addressBlockKey = (ip: string) => `loginblock-ip:${ip}`;

  async function refuseWhenBlocked(ip: string, email: string) {
    const [pair, address] = await Promise.all([
      deps.shared.get(blockKey(ip, email)),
      deps.shared.get(addressBlockKey(ip)),
    ]);
    const left = Math.max(Number(pair ?? 0), Number(address ?? 0)) - deps.clock.now().getTime();
    if (left > 0) {
      throw new AppError("RATE_LIMITED", "Too many failed logins, try again later", {
        headers: { "Retry-After": String(Math.ceil(left / 1000)) },
      });
    }
  }

  async function countFailure(ip: string, email: string) {
    const counts: [string, string, number][] = [
      [failKey(ip, email), blockKey(ip, email), failLimit],
      [addressFailKey(ip), addressBlockKey(ip), addressFailLimit],
    ];
    for (const [counter, block, limit] of counts) {
      const { count, resetInMs } = await deps.shared.increment(counter, failWindowMs);
      if (count >= limit) {
        const until = deps.clock.now().getTime() + resetInMs;
        await deps.shared.set(block, String(until), resetInMs);
      }
    }
  }

  return {
    open,
    /**
     * Checks, in order: failed-login limit, password (same answer and cost for an unknown
     * email), account and organization status, IP allow-list, location policy.
     */
    async login(input: LoginInput, ip: string): Promise<Session> {
      const email = input.email.toLowerCase();
      const candidates = await accountsFor(deps, email, input);
      const position: Position | null =
        input.latitude !== undefined && input.longitude !== undefined
          ? { latitude: input.latitude, longitude: input.longitude }
          : null;
      // A failure is the account's own business only when the email names one account.
      const only = candidates.length === 1 ? candidates[0] : undefined;
      const attempt: Omit<LoginAttempt, "id" | "at" | "country" | "city"> = {
        organizationId: only?.organizationId ?? null,
        userId: only?.id ?? null,
        email,
        ip,
        latitude: position?.latitude ?? null,
        longitude: position?.longitude ?? null,
        accuracy: input.accuracy ?? null,
        distanceMeters: null,
        outcome: "failure",
        reason: "UNAUTHORIZED",
      };
      const deny = async (err: AppError, outcome: "failure" | "denied" = "denied") => {
        await access.recordAttempt({ ...attempt, outcome, reason: err.code });
        await audit(deps, {
          organizationId: attempt.organizationId,
          action: outcome === "failure" ? "login.failure" : "login.denied",
          actor: null,
          targetType: attempt.userId ? "user" : null,
          targetId: attempt.userId,
          ip,
          details: { email, reason: err.code, distanceMeters: attempt.distanceMeters },
        });
        return err;
      };
      try {
        await refuseWhenBlocked(ip, email);
      } catch (err) {
        throw err instanceof AppError ? await deny(err) : err;
      }
      const matching: User[] = [];
      for (const candidate of candidates) {
        if (await verifyPassword(input.password, candidate.passwordHash!)) matching.push(candidate);
      }
      // An unknown email costs one comparison, as a known one does.
      if (!candidates.length) {
        await verifyPassword(input.password, await dummyHash(deps.config.bcryptCost));
      }
      const user = matching[0];
      if (!user) {
        await countFailure(ip, email);
        throw await deny(badLogin(), "failure");
      }
      if (matching.length > 1) throw await deny(ambiguousLogin(), "failure");
      attempt.organizationId = user.organizationId;
      attempt.userId = user.id;
      if (!user.active) throw await deny(new AppError("FORBIDDEN", "This account is deactivated"));
      let org: Organization | null;
      try {
        org = await activeOrg(user);
        if (org) await access.enforce(org.id, user.role, ip);
      } catch (err) {
        throw err instanceof AppError ? await deny(err) : err;
      }
      if (org) {
        const verdict = checkLocation(org.settings.loginLocationAccess, user, position);
        if (verdict.required && "distanceMeters" in verdict) {
          attempt.distanceMeters = verdict.distanceMeters;
        }
        if (verdict.required && !verdict.allowed) {
          const message = verdict.reason === "LOCATION_REQUIRED"
            ? "Your location is required to log in"
            : "You are too far from an allowed place to log in";
          throw await deny(
            new AppError(verdict.reason ?? "LOCATION_DENIED", message, {
              ...("distanceMeters" in verdict
                ? { details: { distanceMeters: verdict.distanceMeters } }
                : {}),
            }),
          );
        }
      }
      await deps.shared.delete(failKey(ip, email));
      const now = deps.clock.now().toISOString();
      const updated = await deps.store.users.update(user.organizationId, user.id, {
        lastLoginAt: now,
      }, now) ?? user;
      await access.recordAttempt({ ...attempt, outcome: "success", reason: null });
      await audit(deps, {
        organizationId: user.organizationId,
        action: "login.success",
        actor: { userId: user.id, role: user.role },
        targetType: "user",
        targetId: user.id,
        ip,
        details: { distanceMeters: attempt.distanceMeters },
      });
      return await open(updated);
    },
    /**
     * Trades a refresh token for a new one and an access token in the same session; a reused
     * token ends its session (its other refresh tokens and its access tokens).
     */
    async refresh(refreshToken: string | undefined, ip: string): Promise<Session> {
      const invalid = () => new AppError("UNAUTHORIZED", "Invalid or expired refresh token");
      if (!refreshToken) throw invalid();
      const hash = await keyedHash(deps.jwtKey, refreshToken);
      const secret = await deps.store.authSecrets.findByHash("refresh", hash);
      const now = deps.clock.now();
      if (!secret || secret.expiresAt <= now.toISOString()) throw invalid();
      if (!await deps.store.authSecrets.consume(secret.id, now.toISOString())) {
        // Someone replayed a rotated token: it may be stolen, so its session ends.
        await endFamily(secret, now.toISOString());
        throw invalid();
      }
      const state = await tokens.current(secret.userId, secret.organizationId);
      if (!refreshAllowed(secret, state)) throw invalid();
      const user = await deps.store.users.findById(secret.organizationId, secret.userId);
      if (!user?.active) throw invalid();
      await activeOrg(user);
      if (user.organizationId) await access.enforce(user.organizationId, user.role, ip);
      return await open(user, secret.sessionId ?? undefined);
    },
    /** Ends the caller's session: this access token, the session's others and its refresh token. */
    async logout(auth: AuthContext, refreshToken: string | undefined, ip: string) {
      const at = deps.clock.now().toISOString();
      await deps.store.authSecrets.consumeSession(auth.sessionId, at);
      await tokens.endSession(auth);
      if (refreshToken) {
        const secret = await deps.store.authSecrets.findByHash(
          "refresh",
          await keyedHash(deps.jwtKey, refreshToken),
        );
        if (secret?.userId === auth.userId) await deps.store.authSecrets.consume(secret.id, at);
      }
      await audit(deps, {
        organizationId: auth.orgId,
        action: "logout",
        actor: auth,
        targetType: "user",
        targetId: auth.userId,
        ip,
      });
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
