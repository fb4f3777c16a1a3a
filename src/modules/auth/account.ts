import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { AppError } from "@/errors.ts";
import type { AuthContext } from "@/modules/auth/context.ts";
import { audit } from "@/modules/audit/service.ts";
import { checkedStream, type IncomingFile } from "@/modules/uploads.ts";
import type { OpenFile } from "@/store/files.ts";
import { sendMail } from "@/mail/smtp.ts";
import {
  newUser,
  type PublicUser,
  publicUser,
  type User,
  type UserPatch,
} from "@/modules/users/repository.ts";
import { hashPassword, keyedHash, randomCode, verifyPassword } from "./passwords.ts";
import type { AuthSecret } from "./repository.ts";
import { accountsFor, type OrganizationRef, type Session, type SessionService } from "./service.ts";
import type { TokenService } from "./tokens.ts";
import type { RoutingService } from "@/modules/routing/service.ts";

const codeTtlMs = 10 * 60 * 1000;
const codeTries = 5;
const avatarTypes = ["image/png", "image/jpeg", "image/gif", "image/webp"];

export interface ProfilePatch {
  name?: string | undefined;
  phone?: string | null | undefined;
  currentPassword?: string | undefined;
  newPassword?: string | undefined;
  /** An avatar already streamed in by `storeAvatar` (removed again when the change fails). */
  avatarFileId?: string | undefined;
}

/** A customer's sign-up, the caller's own profile, and password reset by emailed code. */
export function createAccountService(
  deps: Deps & { events: Events },
  sessions: SessionService,
  tokens: TokenService,
  routing: Pick<RoutingService, "withAvailability">,
) {
  const now = () => deps.clock.now().toISOString();

  async function me(auth: AuthContext): Promise<User> {
    const user = await deps.store.users.findById(auth.orgId, auth.userId);
    if (!user) throw new AppError("UNAUTHORIZED", "This account no longer exists");
    return user;
  }

  async function storeAvatar(file: IncomingFile): Promise<string> {
    if (!avatarTypes.includes(file.type)) {
      await file.stream.cancel();
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Avatar type "${file.type}" is not accepted`, {
        details: [{ path: "avatar", message: "expected PNG, JPEG, GIF or WebP" }],
      });
    }
    const checked = await checkedStream(file, "avatar");
    const id = deps.ids.next();
    try {
      await deps.files.write(id, checked, { maxBytes: deps.config.avatarLimitBytes });
    } catch (err) {
      if (err instanceof AppError && err.code === "PAYLOAD_TOO_LARGE") {
        throw new AppError("PAYLOAD_TOO_LARGE", "Avatar is too large", {
          details: [{ path: "avatar", message: `at most ${deps.config.avatarLimitBytes} bytes` }],
        });
      }
      throw err;
    }
    return id;
  }

  async function changeProfile(
    auth: AuthContext,
    patch: ProfilePatch,
    ip: string,
  ): Promise<PublicUser> {
    const user = await me(auth);
    const change: UserPatch = {};
    if (patch.name !== undefined) change.name = patch.name;
    if (patch.phone !== undefined) change.phone = patch.phone;
    if (patch.newPassword !== undefined) {
      if (
        !patch.currentPassword || !user.passwordHash ||
        !await verifyPassword(patch.currentPassword, user.passwordHash)
      ) {
        throw new AppError("BAD_REQUEST", "Current password is wrong", {
          details: [{ path: "currentPassword", message: "does not match" }],
        });
      }
      change.passwordHash = await hashPassword(patch.newPassword, deps.config.bcryptCost);
    }
    if (patch.avatarFileId) change.avatarFileId = patch.avatarFileId;
    const updated = await deps.store.users.update(user.organizationId, user.id, change, now());
    if (!updated) throw new AppError("UNAUTHORIZED", "This account no longer exists");
    if (patch.avatarFileId && user.avatarFileId) await deps.files.delete(user.avatarFileId);
    const fields = Object.keys(change).map((k) =>
      ({ passwordHash: "password", avatarFileId: "avatar" })[k] ?? k
    );
    if (user.organizationId && fields.length) {
      await deps.events.emit("user.changed", {
        organizationId: user.organizationId,
        actorId: user.id,
      }, { userId: user.id, fields });
    }
    if (change.passwordHash) {
      // Whoever knew the old password is logged out everywhere but here.
      await deps.store.authSecrets.consumeAll("refresh", user.id, now(), auth.sessionId);
      await tokens.revokeUser(user.id, auth.sessionId);
      await audit(deps, {
        organizationId: user.organizationId,
        action: "password.changed",
        actor: auth,
        targetType: "user",
        targetId: user.id,
        ip,
      });
    }
    return (await routing.withAvailability([publicUser(updated)]))[0]!;
  }

  async function mailResetCode(user: User): Promise<void> {
    const code = randomCode();
    const at = deps.clock.now();
    await deps.store.authSecrets.consumeAll("reset", user.id, at.toISOString());
    await deps.store.authSecrets.create({
      id: deps.ids.next(),
      kind: "reset",
      userId: user.id,
      organizationId: user.organizationId,
      hash: await keyedHash(deps.jwtKey, `${user.id}:${code}`),
      sessionId: null,
      expiresAt: new Date(at.getTime() + codeTtlMs).toISOString(),
      attempts: 0,
      usedAt: null,
      createdAt: at.toISOString(),
    });
    const org = user.organizationId
      ? await deps.store.organizations.findById(user.organizationId)
      : null;
    const where = org ? ` for ${org.name}` : "";
    try {
      const sent = await sendMail(deps.config, {
        to: user.email,
        subject: `Your ChatCRM password reset code${where}`,
        text: `Your password reset code is ${code}${where}. It is valid for 10 minutes.\n\n` +
          "If you did not ask to reset your password, ignore this message.",
      });
      if (!sent) deps.log.warn("SMTP_HOST is not set: password reset code not sent");
    } catch (err) {
      deps.log.error("password reset mail failed", { error: String(err) });
    }
  }

  return {
    me,
    /** The caller as the API shows them (their availability as routing keeps it). */
    async profile(auth: AuthContext): Promise<PublicUser> {
      return (await routing.withAvailability([publicUser(await me(auth))]))[0]!;
    },
    /** Signs a customer up into an active organization and opens a session. */
    async register(
      input: {
        name: string;
        email: string;
        password: string;
        organizationId?: string | undefined;
        organizationSlug?: string | undefined;
      },
      ip: string,
    ): Promise<Session> {
      const org = input.organizationId
        ? await deps.store.organizations.findById(input.organizationId)
        : await deps.store.organizations.findBySlug(input.organizationSlug ?? "");
      if (!org?.active) throw new AppError("NOT_FOUND", "Organization not found");
      const at = now();
      const user = await deps.store.users.create(newUser({
        id: deps.ids.next(),
        organizationId: org.id,
        name: input.name,
        email: input.email.toLowerCase(),
        passwordHash: await hashPassword(input.password, deps.config.bcryptCost),
        role: "Customer",
        lastLoginAt: at,
        createdAt: at,
      }));
      await audit(deps, {
        organizationId: org.id,
        action: "user.created",
        actor: { userId: user.id, role: user.role },
        targetType: "user",
        targetId: user.id,
        ip,
        details: { role: "Customer", via: "register" },
      });
      return await sessions.open(user);
    },
    /**
     * Streams an avatar into the file store (type checked from its first bytes, size capped as
     * it arrives), for `updateProfile` to set; a refused file leaves nothing stored.
     */
    storeAvatar,
    /** Removes an avatar `storeAvatar` kept that no profile change took up. */
    async discardAvatar(fileId: string): Promise<void> {
      await deps.files.delete(fileId);
    },
    /**
     * Changes the caller's name, phone, avatar or password (which needs the current one); when
     * the change fails, the avatar it brought is removed.
     */
    async updateProfile(auth: AuthContext, patch: ProfilePatch, ip: string): Promise<PublicUser> {
      try {
        return await changeProfile(auth, patch, ip);
      } catch (err) {
        const taken = patch.avatarFileId &&
          (await me(auth).catch(() => null))?.avatarFileId === patch.avatarFileId;
        if (patch.avatarFileId && !taken) await deps.files.delete(patch.avatarFileId);
        throw err;
      }
    },
    /** The caller's avatar streamed, or null. */
    async avatar(auth: AuthContext): Promise<OpenFile | null> {
      const user = await me(auth);
      return user.avatarFileId ? await deps.files.open(user.avatarFileId) : null;
    },
    /**
     * Mails a 6-digit code valid for 10 minutes to each active account the email names (one
     * per organization, each mail naming its organization). Answers the same whether or not the
     * email is registered.
     */
    async forgotPassword(input: { email: string } & OrganizationRef): Promise<void> {
      const accounts = await accountsFor(deps, input.email.toLowerCase(), input, false);
      for (const user of accounts.filter((u) => u.active)) await mailResetCode(user);
    },
    /** Sets a new password with the emailed code; 5 wrong codes and it is spent. */
    async resetPassword(
      input: { email: string; code: string; newPassword: string } & OrganizationRef,
      ip: string,
    ): Promise<void> {
      const invalid = () =>
        new AppError("BAD_REQUEST", "Invalid or expired code", {
          details: [{ path: "code", message: "request a new code" }],
        });
      const at = now();
      const open: { user: User; secret: AuthSecret }[] = [];
      for (const user of await accountsFor(deps, input.email.toLowerCase(), input, false)) {
        const secret = await deps.store.authSecrets.latestUnused("reset", user.id);
        if (secret && secret.expiresAt > at && secret.attempts < codeTries) {
          open.push({ user, secret });
        }
      }
      let found: { user: User; secret: AuthSecret } | undefined;
      for (const entry of open) {
        const expected = await keyedHash(deps.jwtKey, `${entry.user.id}:${input.code}`);
        if (entry.secret.hash === expected) found = entry;
      }
      if (!found) {
        for (const { secret } of open) {
          const tries = await deps.store.authSecrets.addAttempt(secret.id);
          if (tries >= codeTries) await deps.store.authSecrets.consume(secret.id, at);
        }
        throw invalid();
      }
      const { user, secret } = found;
      if (!await deps.store.authSecrets.consume(secret.id, at)) throw invalid();
      await deps.store.users.update(user.organizationId, user.id, {
        passwordHash: await hashPassword(input.newPassword, deps.config.bcryptCost),
      }, at);
      await deps.store.authSecrets.consumeAll("refresh", user.id, at);
      await tokens.revokeUser(user.id);
      await audit(deps, {
        organizationId: user.organizationId,
        action: "password.reset",
        actor: { userId: user.id, role: user.role },
        targetType: "user",
        targetId: user.id,
        ip,
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
