/** Standard Webhooks signing: `whsec_<base64>` secrets, `v1,<base64 HMAC-SHA256>` signatures. */

const prefix = "whsec_";

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** A new signing secret: 24 random bytes as `whsec_<base64>`. */
export function newWebhookSecret(): string {
  return prefix + base64(crypto.getRandomValues(new Uint8Array(24)));
}

function keyBytes(secret: string): Uint8Array<ArrayBuffer> {
  const encoded = secret.startsWith(prefix) ? secret.slice(prefix.length) : secret;
  return Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
}

/** `v1,<signature>` of `id.timestamp.body` with one secret. */
export async function signWith(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    keyBytes(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const data = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const mac = await crypto.subtle.sign("HMAC", key, data);
  return `v1,${base64(new Uint8Array(mac))}`;
}

/** The headers of one attempt; every secret given signs (space-separated, as the spec allows). */
export async function webhookHeaders(
  secrets: string[],
  id: string,
  timestamp: number,
  body: string,
): Promise<Record<string, string>> {
  const signatures = await Promise.all(secrets.map((s) => signWith(s, id, timestamp, body)));
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}
