import { errorMessage } from "@/log.ts";

interface MailError {
  code?: unknown;
  authenticationFailed?: unknown;
  responseText?: unknown;
  response?: unknown;
  responseCode?: unknown;
}

/**
 * An IMAP or SMTP failure in words an admin can act on: which host, and whether DNS, the
 * connection, TLS, the login or a timeout failed. Never includes the password.
 */
export function describeMailError(err: unknown, server: { host: string; port: number }): string {
  const e = (typeof err === "object" && err !== null ? err : {}) as MailError;
  const code = typeof e.code === "string" ? e.code : "";
  const where = `${server.host}:${server.port}`;
  const detail = String(e.responseText ?? e.response ?? errorMessage(err)).slice(0, 300);
  // Node's socket errors arrive wrapped (nodemailer's ESOCKET): look at the message too.
  const all = `${code} ${errorMessage(err)}`;
  if (/ENOTFOUND|EAI_AGAIN|EDNS/.test(all)) {
    return `Cannot resolve the host "${server.host}": check the host name`;
  }
  if (/ECONNREFUSED/.test(all)) return `Connection refused by ${where}: check the host and port`;
  if (/ETIMEDOUT|CONNECT_TIMEOUT|GREETING_TIMEOUT|timed? ?out/i.test(all)) {
    return `Timed out talking to ${where}: ${detail}`;
  }
  if (e.authenticationFailed === true || /EAUTH|AUTHENTICATIONFAILED/.test(all)) {
    return `Login failed at ${where}: the server refused the user name or password (${detail})`;
  }
  if (/ETLS|ERR_TLS|ERR_SSL|CERT|SELF_SIGNED|wrong version number|ssl/i.test(all)) {
    return `TLS failed with ${where}: ${detail} (check "secure" and the port)`;
  }
  if (/ECONNRESET|EPIPE|ECONNECTION|closed/i.test(all)) {
    return `Connection to ${where} was closed unexpectedly: ${detail}`;
  }
  return `${where}: ${detail}`;
}
