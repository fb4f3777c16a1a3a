import type { TestApp, TestAppOptions } from "./app.ts";
import { testApp } from "./app.ts";
import { aDesk, type Desk, expectStatus } from "./support.ts";
import { type MailUser, startDovecot, type TestDovecot } from "./dovecot.ts";
import { startSmtp, type TestSmtp } from "./smtp.ts";
import type { MailboxView } from "@/modules/email/service.ts";

export interface RawMail {
  from: string;
  to?: string;
  subject?: string;
  messageId?: string | null;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  text?: string;
  html?: string;
  attachments?: { filename: string; contentType: string; content: Uint8Array }[];
}

function base64Lines(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/.{76}/g, "$&\r\n");
}

/** An RFC 822 message as a mail client would write it (multipart when it has attachments). */
export function rawMail(m: RawMail): string {
  const head = [
    `From: ${m.from}`,
    `To: ${m.to ?? "support@desk.test"}`,
    `Subject: ${m.subject ?? "Help please"}`,
    "Date: Wed, 25 Nov 2026 10:00:00 +0000",
    ...(m.messageId === null
      ? []
      : [`Message-ID: ${m.messageId ?? `<${crypto.randomUUID()}@customer.test>`}`]),
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`] : []),
    ...(m.references ? [`References: ${m.references.join(" ")}`] : []),
    ...Object.entries(m.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    "MIME-Version: 1.0",
  ];
  const body = m.html !== undefined && m.text === undefined
    ? { type: "text/html; charset=utf-8", content: m.html }
    : { type: "text/plain; charset=utf-8", content: m.text ?? "Hello, I need help." };
  if (!m.attachments?.length) {
    return [...head, `Content-Type: ${body.type}`, "", body.content, ""].join("\r\n");
  }
  const boundary = `b-${crypto.randomUUID()}`;
  const parts = [
    [`Content-Type: ${body.type}`, "", body.content].join("\r\n"),
    ...m.attachments.map((a) =>
      [
        `Content-Type: ${a.contentType}; name="${a.filename}"`,
        `Content-Disposition: attachment; filename="${a.filename}"`,
        "Content-Transfer-Encoding: base64",
        "",
        base64Lines(a.content),
      ].join("\r\n")
    ),
  ];
  return [
    ...head,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    "",
    ...parts.flatMap((p) => [`--${boundary}`, p]),
    `--${boundary}--`,
    "",
  ].join("\r\n");
}

/** A desk with a real Dovecot account, a real SMTP server and a mailbox set up through the API. */
export interface MailDesk {
  t: TestApp;
  desk: Desk;
  dovecot: TestDovecot;
  smtp: TestSmtp;
  account: MailUser;
  mailbox: MailboxView;
  /** Delivers a mail into the support account's INBOX. */
  deliver(mail: RawMail | string, folder?: string): Promise<void>;
  /** POST /email-config/:id/poll as the Admin. */
  poll(
    mailboxId?: string,
  ): Promise<
    {
      status: string;
      imported: { status: string; queryId?: string; reason?: string }[];
      error: string | null;
    }
  >;
  close(): Promise<void>;
}

export function mailboxBody(
  dovecot: { port: number },
  smtp: { port: number },
  account: MailUser,
  extra: Record<string, unknown> = {},
) {
  return {
    name: "Acme Support",
    email: "support@desk.test",
    imap: {
      host: "127.0.0.1",
      port: dovecot.port,
      secure: false,
      user: account.user,
      password: account.password,
    },
    smtp: { host: "127.0.0.1", port: smtp.port, secure: false },
    pollingEnabled: true,
    ...extra,
  };
}

/** The environment that lets a test's mail servers on loopback through the egress policy. */
export const loopbackAllowed = { OUTBOUND_ALLOWED_CIDRS: "127.0.0.0/8" };

export async function aMailDesk(
  options: TestAppOptions & { accounts?: MailUser[] } = {},
): Promise<MailDesk> {
  const account = { user: "support", password: "imap-secret-1" };
  const dovecot = await startDovecot([account, ...(options.accounts ?? [])]);
  const smtp = await startSmtp();
  // Dovecot and the SMTP server listen on loopback, which the egress policy refuses by default.
  const t = await testApp({ ...options, env: { ...loopbackAllowed, ...options.env } });
  const desk = await aDesk(t);
  const mailbox = await expectStatus(
    t.call("POST", "/api/v1/email-config", {
      token: desk.token.Admin,
      json: mailboxBody(dovecot, smtp, account),
    }),
    201,
  );
  return {
    t,
    desk,
    dovecot,
    smtp,
    account,
    mailbox,
    deliver: (mail, folder) =>
      dovecot.append(account, typeof mail === "string" ? mail : rawMail(mail), folder),
    poll: (id = mailbox.id) =>
      expectStatus(
        t.call("POST", `/api/v1/email-config/${id}/poll`, { token: desk.token.Admin }),
        200,
      ),
    async close() {
      await t.close();
      await smtp.stop();
      await dovecot.close();
    },
  };
}
