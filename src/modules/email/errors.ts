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
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EDNS") {
    return `Cannot resolve the host "${server.host}": check the host name`;
  }
  if (code === "ECONNREFUSED") return `Connection refused by ${where}: check the host and port`;
  if (
    code === "ETIMEDOUT" || code === "CONNECT_TIMEOUT" || code === "GREETING_TIMEOUT" ||
    /timed? ?out/i.test(detail)
  ) {
    return `Timed out talking to ${where}: ${detail}`;
  }
  if (e.authenticationFailed === true || code === "EAUTH" || code === "AUTHENTICATIONFAILED") {
    return `Login failed at ${where}: the server refused the user name or password (${detail})`;
  }
  if (
    code === "ETLS" || code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL") ||
    /CERT|SELF_SIGNED|wrong version number|ssl/i.test(`${code} ${detail}`)
  ) {
    return `TLS failed with ${where}: ${detail} (check "secure" and the port)`;
  }
  if (code === "ECONNRESET" || code === "EPIPE" || code === "ECONNECTION") {
    return `Connection to ${where} was closed unexpectedly: ${detail}`;
  }
  return `${where}: ${detail}`;
}
