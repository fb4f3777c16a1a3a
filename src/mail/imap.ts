import { Readable } from "node:stream";
import type { Outbound } from "@/net/egress.ts";

/** An IMAP account to read, with a plain password. */
export interface ImapServer {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
}

/** One selected folder of an open IMAP connection. */
export interface ImapFolder {
  /** The folder's UIDVALIDITY, as a string (imapflow gives a BigInt). */
  uidValidity: string;
  /** UIDs above `afterUid`, ascending, at most `limit`. */
  uidsAfter(afterUid: number, limit: number): Promise<number[]>;
  /**
   * The raw message streamed as it is fetched, its first `maxBytes` only when it is larger
   * (`size` says how large it is), or null when it was expunged meanwhile. Read it to its end
   * or cancel it before the next call: the connection fetches one thing at a time.
   */
  open(uid: number, maxBytes: number): Promise<MessageSource | null>;
}

/** A message being fetched: its size on the server and its bytes as they arrive. */
export interface MessageSource {
  size: number;
  stream: ReadableStream<Uint8Array>;
}

/**
 * Connects to the address the egress policy checked (never the name again: no DNS rebinding),
 * presenting the name for TLS.
 */
// deno-lint-ignore no-explicit-any
async function connect(server: ImapServer, { egress, timeoutMs }: Outbound): Promise<any> {
  const target = await egress.check(server, { timeoutMs });
  const { ImapFlow } = await import("imapflow");
  const client = new ImapFlow({
    host: target.address,
    ...(target.servername ? { servername: target.servername } : {}),
    port: server.port,
    secure: server.secure,
    auth: { user: server.user, pass: server.password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  // A socket error after connect is emitted as an event: unhandled, it would end the process.
  client.on("error", () => {});
  await client.connect();
  return client;
}

async function close(
  client: { logout(): Promise<void>; close(): void; usable: boolean },
): Promise<void> {
  if (client.usable) await client.logout().catch(() => client.close());
  else client.close();
}

/** Logs in and out: the mailbox settings' test. */
export async function verifyImap(server: ImapServer, outbound: Outbound): Promise<void> {
  const client = await connect(server, outbound);
  await close(client);
}

/** Opens `folder` for the time of `fn`, then logs out whatever happened. */
export async function withImapFolder<T>(
  server: ImapServer,
  folder: string,
  outbound: Outbound,
  fn: (folder: ImapFolder) => Promise<T>,
): Promise<T> {
  const client = await connect(server, outbound);
  try {
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      return await fn({
        uidValidity: String(client.mailbox.uidValidity),
        async uidsAfter(afterUid, limit) {
          // `N:*` also answers the last message when every UID is below N: filter.
          const uids: number[] = await client.search({ uid: `${afterUid + 1}:*` }, { uid: true }) ||
            [];
          return uids.filter((u) => u > afterUid).sort((a, b) => a - b).slice(0, limit);
        },
        async open(uid, maxBytes) {
          // imapflow's 64 KiB per FETCH: larger chunks raised the peak memory of an import.
          const found = await client.download(String(uid), undefined, { uid: true, maxBytes });
          if (!found?.content) return null;
          return {
            size: Number(found.meta?.expectedSize ?? 0),
            stream: Readable.toWeb(found.content) as ReadableStream<Uint8Array>,
          };
        },
      });
    } finally {
      lock.release();
    }
  } finally {
    await close(client);
  }
}
