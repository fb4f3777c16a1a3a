import type { Config } from "@/config.ts";

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
