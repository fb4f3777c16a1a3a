import { errorMessage } from "@/log.ts";

/** What went wrong with an outbound connection, as a category: never the remote's own text. */
export type ConnectionFailure =
  | "refused by policy"
  | "name not found"
  | "connection refused"
  | "timed out"
  | "login rejected"
  | "TLS failed"
  | "connection closed"
  | "command rejected"
  | "connection failed";

/**
 * The category of a failed outbound connection (the egress policy's errors, Node's socket
 * errors, imapflow's and nodemailer's codes). Callers word it; none of the remote's text or of
 * the error message is carried on, since a remote can write what it likes there.
 */
export function connectionFailure(err: unknown): ConnectionFailure {
  const e = (typeof err === "object" && err !== null ? err : {}) as {
    code?: unknown;
    authenticationFailed?: unknown;
    responseStatus?: unknown;
  };
  const code = typeof e.code === "string" ? e.code : "";
  if (code === "EGRESS_REFUSED") return "refused by policy";
  // Node's socket errors arrive wrapped (nodemailer's ESOCKET): look at the message too.
  const all = `${code} ${errorMessage(err)}`;
  if (/ENOTFOUND|EAI_AGAIN|EDNS/.test(all)) return "name not found";
  if (/ECONNREFUSED/.test(all)) return "connection refused";
  if (/ETIMEDOUT|CONNECT_TIMEOUT|GREETING_TIMEOUT|timed? ?out/i.test(all)) return "timed out";
  if (e.authenticationFailed === true || /EAUTH|AUTHENTICATIONFAILED/.test(all)) {
    return "login rejected";
  }
  if (/ETLS|ERR_TLS|ERR_SSL|CERT|SELF_SIGNED|wrong version number|ssl/i.test(all)) {
    return "TLS failed";
  }
  if (/ECONNRESET|EPIPE|ECONNECTION|closed/i.test(all)) return "connection closed";
  if (e.responseStatus === "NO" || e.responseStatus === "BAD") return "command rejected";
  return "connection failed";
}
