import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Outbound } from "@/net/egress.ts";

/**
 * POSTs `body` to `url` once through the egress policy: the host is checked and resolved once,
 * the connection goes to the checked address (TLS still names the host), redirects are not
 * followed (node:http never does), and the whole attempt ends at the timeout. Answers the
 * status code; the receiver's body is read and dropped.
 */
export async function postOnce(
  url: string,
  headers: Record<string, string>,
  body: string,
  outbound: Outbound,
): Promise<number> {
  const u = new URL(url);
  const secure = u.protocol === "https:";
  const port = u.port ? Number(u.port) : secure ? 443 : 80;
  const deadline = Date.now() + outbound.timeoutMs;
  const target = await outbound.egress.check({ host: u.hostname, port }, {
    timeoutMs: outbound.timeoutMs,
  });
  const bytes = new TextEncoder().encode(body);
  return await new Promise<number>((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)({
      host: target.address,
      port,
      path: `${u.pathname}${u.search}`,
      method: "POST",
      agent: false,
      headers: {
        ...headers,
        host: u.host,
        "user-agent": "ChatCRM-Webhooks/1.0",
        "content-length": String(bytes.byteLength),
        connection: "close",
      },
      ...(secure && target.servername ? { servername: target.servername } : {}),
    }, (res) => {
      res.on("data", () => {});
      res.on("end", () => finish(() => resolve(res.statusCode ?? 0)));
      res.on("error", (err) => finish(() => reject(err)));
    });
    const timer = setTimeout(() => {
      const err = Object.assign(new Error("Webhook attempt timed out"), { code: "ETIMEDOUT" });
      req.destroy(err);
      finish(() => reject(err));
    }, Math.max(1, deadline - Date.now()));
    let done = false;
    function finish(settle: () => void) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      settle();
    }
    req.on("error", (err) => finish(() => reject(err)));
    req.end(bytes);
  });
}
