/** What a stored secret is for. */
export type SecretKind = "refresh" | "reset";

/**
 * A one-time secret of a user (a refresh token, a password-reset code), kept only as a keyed
 * hash, with an expiry, a count of wrong guesses, and when it was used.
 */
export interface AuthSecret {
  id: string;
  kind: SecretKind;
  userId: string;
  organizationId: string | null;
  hash: string;
  /** The session (login) a refresh token belongs to; null for reset codes and older tokens. */
  sessionId: string | null;
  expiresAt: string;
  attempts: number;
  usedAt: string | null;
  createdAt: string;
}

/** Storage of refresh tokens and reset codes. */
export interface AuthSecretRepository {
  /** Stores the secret. */
  create(secret: AuthSecret): Promise<AuthSecret>;
  /** The secret with this kind and hash, used or not, or null. */
  findByHash(kind: SecretKind, hash: string): Promise<AuthSecret | null>;
  /** The user's newest unused secret of this kind, or null. */
  latestUnused(kind: SecretKind, userId: string): Promise<AuthSecret | null>;
  /** Adds one wrong guess; returns the new count (0 when missing). */
  addAttempt(id: string): Promise<number>;
  /** Marks the secret used; true only for the one call that found it unused. */
  consume(id: string, at: string): Promise<boolean>;
  /**
   * Marks every unused secret of this kind of the user used (logout everywhere, new code),
   * except those of the session `exceptSessionId` when given.
   */
  consumeAll(kind: SecretKind, userId: string, at: string, exceptSessionId?: string): Promise<void>;
  /** Marks every unused refresh token of the session used (logout, a replayed refresh token). */
  consumeSession(sessionId: string, at: string): Promise<void>;
}

/**
 * A stored refusal of access tokens, kept until the last token it refuses has expired:
 * `session` refuses every token of the session `sessionId`; `user` refuses every token of the
 * user issued at or before `at`, except those of the session `sessionId` when it is set.
 */
export interface Revocation {
  id: string;
  kind: "session" | "user";
  userId: string;
  sessionId: string | null;
  /** When it was made (ISO, milliseconds). */
  at: string;
  expiresAt: string;
}

/** Storage of revocations: durable, so a restart forgets none. */
export interface RevocationRepository {
  /** Stores the revocation. */
  add(revocation: Revocation): Promise<void>;
  /** The user's revocations that have not expired at `now`, oldest first. */
  forUser(userId: string, now: string): Promise<Revocation[]>;
  /** Deletes the revocations expired at `now`. */
  purge(now: string): Promise<void>;
}
