import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { expectStatus } from "@tests/helpers/support.ts";
import { runScript } from "./run.ts";

Deno.test({
  name:
    "after deno task seed: a web inbox, its snippet and demo page; a visitor there reaches a seeded agent",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-seed-widget-" });
    try {
      const seeded = await runScript("seed.ts", [], { DATA_DIR: dataDir });
      assert.equal(seeded.code, 0, seeded.stderr);
      const snippet =
        /<script src="http:\/\/localhost:5000\/widget\.js" data-website-token="(ccw_[^"]+)" async><\/script>/
          .exec(seeded.stdout);
      assert.ok(snippet, seeded.stdout);
      const websiteToken = snippet[1]!;
      const demoUrl = /Demo page: http:\/\/localhost:5000(\/widget\/demo\?websiteToken=\S+)/.exec(
        seeded.stdout,
      );
      assert.ok(demoUrl);
      const t = await testApp({ dataDir });
      try {
        const page = await t.call("GET", demoUrl[1]!);
        assert.equal(page.status, 200);
        assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
        assert.ok((await page.text()).includes(`data-website-token="${websiteToken}"`));
        await expectStatus(t.call("GET", "/widget/demo?websiteToken=<script>"), 400);

        const origin = { origin: "http://localhost:5000" };
        const visitor = await expectStatus(
          t.call("POST", "/api/v1/widget/sessions", {
            json: { websiteToken, name: "Demo Visitor" },
            headers: origin,
          }),
          201,
        );
        const opened = await expectStatus(
          t.call("POST", "/api/v1/widget/conversations", {
            token: visitor.visitorToken,
            headers: origin,
            json: { message: "I was charged twice" },
          }),
          201,
        );
        assert.equal(opened.agentName, "Alice Agent", "routed by the inbox's skill, billing");
      } finally {
        await t.close();
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
