import bcrypt from "bcryptjs";

/** Marks a hash of the pre-hashed password; hashes without it are bcrypt of the password itself. */
const prehashed = "hmac-sha256$";
const prehashKey = new TextEncoder().encode("chatcrm password pre-hash v1");

/**
 * The password as bcrypt gets it: base64 of its HMAC-SHA256 (44 characters). bcrypt reads only
 * 72 bytes, and a password may be 128 characters of up to 4 bytes each: none may be cut off.
 * The fixed key keeps these from matching unsalted SHA-256 hashes leaked elsewhere.
 */
async function prehash(password: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    prehashKey,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(password));
  return btoa(String.fromCharCode(...new Uint8Array(mac)));
}

/** Hashes a password with bcrypt at the configured cost, every character counting. */
export async function hashPassword(password: string, cost: number): Promise<string> {
  return prehashed + await bcrypt.hash(await prehash(password), cost);
}

/** True when the password matches the hash (also one made before pre-hashing). */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  return hash.startsWith(prehashed)
    ? await bcrypt.compare(await prehash(password), hash.slice(prehashed.length))
    : await bcrypt.compare(password, hash);
}

const dummyHashes = new Map<number, Promise<string>>();

/**
 * A hash of a random password at this cost: a login for an unknown email compares against it,
 * so it takes as long as a wrong password for a known one (no user enumeration by timing).
 */
export function dummyHash(cost: number): Promise<string> {
  let hash = dummyHashes.get(cost);
  if (!hash) dummyHashes.set(cost, hash = hashPassword(crypto.randomUUID(), cost));
  return hash;
}

/** Hex HMAC-SHA256 of `value` under `key`: how one-time codes and refresh tokens are kept. */
export async function keyedHash(key: Uint8Array, value: string): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(value));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A random URL-safe token of 32 bytes. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** A uniformly random 6-digit code. */
export function randomCode(): string {
  const limit = 4_294_000_000; // largest multiple of 1e6 below 2^32: no modulo bias
  for (;;) {
    const n = crypto.getRandomValues(new Uint32Array(1))[0]!;
    if (n < limit) return String(n % 1_000_000).padStart(6, "0");
  }
}
