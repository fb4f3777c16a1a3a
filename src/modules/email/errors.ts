import { connectionFailure } from "@/net/failures.ts";

/**
 * An IMAP or SMTP failure in words an admin can act on: which host (as the admin wrote it), and
 * whether the egress policy, DNS, the connection, TLS, the login or a timeout failed. Never the
 * password, and never the remote's text (a greeting or an error line), which could be anything
 * an internal service answers.
 */
export function describeMailError(err: unknown, server: { host: string; port: number }): string {
  const where = `${server.host}:${server.port}`;
  switch (connectionFailure(err)) {
    case "refused by policy":
      return `Connections to ${where} are refused by the egress policy: the host is a loopback, private, link-local or otherwise internal address (an operator may allow its network with OUTBOUND_ALLOWED_CIDRS)`;
    case "name not found":
      return `Cannot resolve the host "${server.host}": check the host name`;
    case "connection refused":
      return `Connection refused by ${where}: check the host and port`;
    case "timed out":
      return `Timed out talking to ${where}`;
    case "login rejected":
      return `Login failed at ${where}: the server refused the user name or password`;
    case "TLS failed":
      return `TLS failed with ${where} (check "secure" and the port)`;
    case "connection closed":
      return `Connection to ${where} was closed unexpectedly`;
    case "command rejected":
      return `${where} refused a command: check the folder and what the account may read`;
    case "connection failed":
      return `Connection to ${where} failed: check the host, the port and "secure"`;
  }
}
