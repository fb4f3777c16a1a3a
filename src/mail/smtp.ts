import { Readable } from "node:stream";
import type { Config } from "@/config.ts";
import type { Outbound } from "@/net/egress.ts";

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/** Sends mail by SMTP (nodemailer, loaded on first use); false when SMTP_HOST is not set. */
export async function sendMail(config: Config, mail: OutgoingMail): Promise<boolean> {
  const smtp = config.smtp;
  if (!smtp.host) return false;
  const nodemailer = (await import("nodemailer")).default;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ignoreTLS: !smtp.secure && config.env === "test",
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? "" } } : {}),
  });
  try {
    await transport.sendMail({ from: smtp.from, ...mail });
    return true;
  } finally {
    transport.close();
  }
}

/** An SMTP server to send through (a mailbox's own), with a plain password. */
export interface SmtpServer {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  password: string | null;
}

/** A message for `sendSmtp`: addresses, threading headers and optional attachments. */
export interface SmtpMessage {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  /** Each attachment's bytes as a stream (a stored file read as it is sent, never held whole). */
  attachments?: { filename: string; content: ReadableStream<Uint8Array>; contentType?: string }[];
}

/** A transport to the address the egress policy checked, presenting the name for TLS. */
async function transportFor(server: SmtpServer, { egress, timeoutMs }: Outbound) {
  const target = await egress.check(server, { timeoutMs });
  const nodemailer = (await import("nodemailer")).default;
  return nodemailer.createTransport({
    host: target.address,
    ...(target.servername ? { servername: target.servername } : {}),
    port: server.port,
    secure: server.secure,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    ...(server.user ? { auth: { user: server.user, pass: server.password ?? "" } } : {}),
  });
}

/** Sends one message through `server`; rejects with nodemailer's error (code, response). */
export async function sendSmtp(
  server: SmtpServer,
  message: SmtpMessage,
  outbound: Outbound,
): Promise<void> {
  // Node streams for nodemailer, which reads each while it writes the message to the socket.
  const contents = (message.attachments ?? []).map((a) => Readable.fromWeb(a.content as never));
  try {
    const transport = await transportFor(server, outbound);
    try {
      await transport.sendMail({
        ...message,
        references: message.references ?? [],
        attachments: (message.attachments ?? []).map((a, i) => ({
          filename: a.filename,
          content: contents[i]!,
          ...(a.contentType ? { contentType: a.contentType } : {}),
        })),
      });
    } finally {
      transport.close();
    }
  } finally {
    // A send that failed before reading them leaves the files open: close them.
    for (const content of contents) content.destroy();
  }
}

/** Connects, greets and logs in (when a user is set) without sending anything. */
export async function verifySmtp(server: SmtpServer, outbound: Outbound): Promise<void> {
  const transport = await transportFor(server, outbound);
  try {
    await transport.verify();
  } finally {
    transport.close();
  }
}
