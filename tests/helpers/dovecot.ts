import { join } from "node:path";
import { type Child, findBinary, freePort, skipWithout, spawn, waitForPort } from "./servers.ts";

export const dovecotBinary = Deno.env.get("DOVECOT_BIN") ??
  findBinary("dovecot", ["/usr/sbin", "/usr/local/sbin"]);

/** True when IMAP tests must be skipped: no dovecot binary, outside CI. */
export const skipDovecot = skipWithout("dovecot (Debian dovecot-imapd)", Boolean(dovecotBinary));

export interface MailUser {
  user: string;
  password: string;
}

/** A Dovecot of this test's own: IMAP on a free loopback port, maildirs in a temp dir. */
export interface TestDovecot {
  host: string;
  port: number;
  /** Stores a raw RFC 822 message in the user's folder (INBOX unless named). */
  append(user: MailUser, raw: string | Uint8Array, folder?: string): Promise<void>;
  /** Deletes a folder with its mail (a new one of that name gets a new UIDVALIDITY). */
  deleteFolder(user: MailUser, folder: string): Promise<void>;
  /** Stops the server (the port closes); `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

/** Who Dovecot runs and stores mail as: nobody under root (it refuses uid 0), else ourselves. */
interface RunAs {
  /** Extra settings when not root: every service as the current user, no chroot. */
  settings: string;
  uid: string;
  gid: string;
}

async function runAs(): Promise<RunAs> {
  const uid = Deno.uid();
  if (uid === 0 || uid === null) return { settings: "", uid: "nobody", gid: "nogroup" };
  const name = async (flag: string) =>
    new TextDecoder().decode((await new Deno.Command("id", { args: [flag] }).output()).stdout)
      .trim();
  const [user, group] = [await name("-un"), await name("-gn")];
  return {
    settings: `
default_internal_user = ${user}
default_internal_group = ${group}
default_login_user = ${user}
service anvil {
  chroot =
}`,
    uid: String(uid),
    gid: String(Deno.gid()),
  };
}

function config(dir: string, port: number, as: RunAs): string {
  return `${as.settings}
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
  default_fields = uid=${as.uid} gid=${as.gid} home=${dir}/mail/%u
}
service imap-login {
  ${as.settings ? "chroot =" : ""}
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

/**
 * Starts `dovecot -F -c CONF` with the users in a passwd-file ({PLAIN} passwords), mail as
 * uid nobody when root (Dovecot refuses uid 0; the maildir is world-writable), or as the
 * current user otherwise.
 */
export async function startDovecot(users: MailUser[]): Promise<TestDovecot> {
  if (!dovecotBinary) throw new Error("dovecot is not installed");
  const binary = dovecotBinary;
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-dovecot-" });
  await Deno.chmod(dir, 0o755);
  for (const sub of ["run", "state", "mail"]) await Deno.mkdir(join(dir, sub));
  await Deno.chmod(join(dir, "mail"), 0o777);
  await Deno.writeTextFile(
    join(dir, "passwd"),
    users.map((u) => `${u.user}:{PLAIN}${u.password}::::::`).join("\n") + "\n",
  );
  const port = freePort();
  const conf = join(dir, "dovecot.conf");
  await Deno.writeTextFile(conf, config(dir, port, await runAs()));
  let child: Child | null = null;
  const start = async () => {
    child = spawn(binary, ["-F", "-c", conf]);
    await waitForPort(port, 15_000).catch(async (err) => {
      const log = await Deno.readTextFile(join(dir, "dovecot.log")).catch(() => "");
      throw new Error(`${err}\n${log}`);
    });
  };
  const stop = async () => {
    const running = child as Child | null;
    child = null;
    await running?.stop();
  };
  const onUnload = () => (child as Child | null)?.kill();
  globalThis.addEventListener("unload", onUnload);
  await start();
  // deno-lint-ignore no-explicit-any
  const session = async (user: MailUser, fn: (client: any) => Promise<void>) => {
    const { ImapFlow } = await import("imapflow");
    const client = new ImapFlow({
      host: "127.0.0.1",
      port,
      secure: false,
      auth: { user: user.user, pass: user.password },
      logger: false,
    });
    client.on("error", () => {});
    await client.connect();
    try {
      await fn(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  };
  return {
    host: "127.0.0.1",
    port,
    append: (user, raw, folder = "INBOX") =>
      session(user, async (client) => {
        if (folder !== "INBOX") await client.mailboxCreate(folder).catch(() => {});
        const bytes = typeof raw === "string" ? new TextEncoder().encode(raw) : raw;
        await client.append(folder, bytes);
      }),
    deleteFolder: (user, folder) => session(user, (client) => client.mailboxDelete(folder)),
    stop,
    start,
    async close() {
      globalThis.removeEventListener("unload", onUnload);
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
