import assert from "node:assert/strict";
import { freePort } from "@tests/helpers/servers.ts";
import { startProcess } from "@tests/helpers/process.ts";

interface Span {
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

/** An OTLP/HTTP (JSON) trace receiver on loopback: resolves `found` with the first span `match` accepts. */
function otlpReceiver(match: (span: Span) => boolean) {
  let resolve!: (span: Span) => void;
  const found = new Promise<Span>((r) => resolve = r);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json().catch(() => ({}));
    if (new URL(req.url).pathname === "/v1/traces") {
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) {
          for (const span of ss.spans ?? []) if (match(span)) resolve(span);
        }
      }
    }
    return Response.json({});
  });
  return { url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`, found, server };
}

const attribute = (span: Span, key: string) =>
  span.attributes.find((a) => a.key === key)?.value.stringValue;

Deno.test({
  name:
    "with OTEL_DENO=true a request's span carries its request id and is named by its route template",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const requestId = `trace-${crypto.randomUUID()}`;
    const receiver = otlpReceiver((s) => attribute(s, "http.request.id") === requestId);
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-otel-" });
    const port = freePort();
    const child = startProcess({
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: "silent",
      CRONS_ENABLED: "false",
      OTEL_DENO: "true",
      OTEL_DENO_CONSOLE: "ignore",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    try {
      let res: Response | undefined;
      for (let i = 0; i < 600 && !res; i++) {
        res = await fetch(`http://127.0.0.1:${port}/api/v1/queries/Q-000001`, {
          headers: { "x-request-id": requestId },
        }).catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 50)));
      }
      assert.equal(res?.status, 401);
      await res?.body?.cancel();
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("no span exported in 30 s")), 30_000)
      );
      const span = await Promise.race([receiver.found, timeout]);
      assert.equal(attribute(span, "http.route"), "/api/v1/queries/:id");
      assert.equal(span.name, "GET /api/v1/queries/:id");
      assert.equal(attribute(span, "http.response.status_code"), "401");
    } finally {
      child.kill("SIGTERM");
      await child.output();
      await receiver.server.shutdown();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
