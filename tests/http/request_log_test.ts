import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import type { Logger } from "@/log.ts";

Deno.test("requestLog writes requests at info, passing health probes at debug", async () => {
  const lines: [string, string, Record<string, unknown>][] = [];
  const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) =>
    void lines.push([level, msg, fields]);
  const log: Logger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
  const t = await testApp({ log, env: { LOG_LEVEL: "info" } });
  try {
    const paths = ["/health/live", "/health/ready", "/api/v1/queries"];
    for (const path of paths) await (await t.call("GET", path)).body?.cancel();
    const requests = lines.filter(([, msg, f]) =>
      msg === "request" && paths.includes(String(f.path))
    )
      .map(([level, , f]) => `${level} ${f.path} ${f.status}`);
    assert.deepEqual(requests, [
      "debug /health/live 200",
      "debug /health/ready 200",
      "info /api/v1/queries 401",
    ]);
  } finally {
    await t.close();
  }
});
