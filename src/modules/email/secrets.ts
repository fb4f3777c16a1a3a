import { join } from "node:path";
import type { Config } from "@/config.ts";

/** Seals and opens short secrets (mailbox passwords) with AES-256-GCM. */
export interface SecretBox {
  /** `v1.<iv>.<ciphertext>` (base64url); `context` (the owner's id) must match to open it. */
  seal(plain: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

const b64 = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const unb64 = (text: string) =>
  Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));

/** A box keyed by SHA-256 of the passphrase, so any ENCRYPTION_KEY of 32+ characters works. */
export async function secretBox(passphrase: string): Promise<SecretBox> {
  const raw = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(passphrase));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const ad = (context: string) => new TextEncoder().encode(`chatcrm:${context}`);
  return {
    async seal(plain, context) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const data = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: ad(context) },
        key,
        new TextEncoder().encode(plain),
      );
      return `v1.${b64(iv)}.${b64(new Uint8Array(data))}`;
    },
    async open(sealed, context) {
      const [version, iv, data] = sealed.split(".");
      if (version !== "v1" || !iv || !data) throw new Error("Unreadable sealed secret");
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: unb64(iv), additionalData: ad(context) },
          key,
          unb64(data),
        );
        return new TextDecoder().decode(plain);
      } catch {
        throw new Error(
          "Cannot decrypt a stored secret: ENCRYPTION_KEY differs from when it was saved",
        );
      }
    },
  };
}

/**
 * ENCRYPTION_KEY, required in production (config.ts). Elsewhere a missing key is generated once
 * and kept in DATA_DIR/encryption_key, as the JWT secret is, so saved mailboxes keep working
 * across restarts of the embedded default.
 */
export async function encryptionKey(config: Pick<Config, "encryptionKey" | "dataDir">) {
  if (config.encryptionKey) return config.encryptionKey;
  const path = join(config.dataDir, "encryption_key");
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const key = b64(crypto.getRandomValues(new Uint8Array(32)));
  await Deno.mkdir(config.dataDir, { recursive: true });
  await Deno.writeTextFile(path, key, { mode: 0o600, createNew: true }).catch((err) => {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  });
  return (await Deno.readTextFile(path)).trim();
}
