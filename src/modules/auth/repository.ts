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
  /** Marks every unused secret of this kind of the user used (logout everywhere, new code). */
  consumeAll(kind: SecretKind, userId: string, at: string): Promise<void>;
}
