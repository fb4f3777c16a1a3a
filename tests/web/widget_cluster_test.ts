import assert from "node:assert/strict";
import { chromium as playwright } from "playwright-core";
import { serve, testApp } from "@tests/helpers/app.ts";
import { hostPage } from "@tests/helpers/widget.ts";
import { findBinary, skipWithout } from "@tests/helpers/servers.ts";
import { skipRedis, startRedis } from "@tests/helpers/redis.ts";
import { aDesk, anAgent, expectStatus } from "@tests/helpers/support.ts";
import { login } from "@tests/helpers/identity.ts";
import { connect } from "@tests/helpers/ws.ts";

const chromium = findBinary("chromium") ?? findBinary("chromium-browser");
const skipChromium = skipWithout("chromium", chromium !== null);

Deno.test({
  name:
    "the widget with the visitor on one instance and the agent on another (Redis): live both ways, history after a reload",
  ignore: skipChromium || skipRedis,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const redis = await startRedis();
    const a = await testApp({ env: { REDIS_URL: redis.url } });
    const b = await testApp({ dataDir: a.deps.config.dataDir, env: { REDIS_URL: redis.url } });
    const apiA = serve(a.app);
    const apiB = serve(b.app);
    const desk = await aDesk(a);
    const agent = await anAgent(desk, { name: "Bea Agent" });
    const onB = await login(b, agent.user.email);
    const inbox = await expectStatus(
      a.call("POST", "/api/v1/inboxes/web", {
        token: desk.token.Admin,
        json: { name: "Shop chat", allowedOrigins: ["http://localhost:1"], greeting: "Hello!" },
      }),
      201,
    );
    const page = hostPage(apiA.url, inbox.websiteToken);
    const browser = await playwright.launch({
      executablePath: chromium!,
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      await expectStatus(
        b.call("PUT", `/api/v1/inboxes/web/${inbox.id}`, {
          token: desk.token.Admin,
          json: { allowedOrigins: [page.url] },
        }),
        200,
      );
      const tab = await (await browser.newContext()).newPage();
      await tab.goto(page.url);
      await tab.locator("#chatcrm-widget button.launcher").click();
      await tab.getByLabel(/Your name/).fill("Val Visitor");
      await tab.getByLabel("How can we help?").fill("Do you ship abroad?");
      await tab.getByRole("button", { name: "Start chat" }).click();
      await tab.locator("#chatcrm-widget ol.log li.mine", { hasText: "Do you ship abroad?" })
        .waitFor();
      const queries = await b.deps.store.queries.list(desk.org.id, {}, {
        field: "createdAt",
        order: "asc",
      }, { page: 1, limit: 10 });
      const query = queries.data.find((q) => q.title === "Do you ship abroad?")!;
      assert.equal(query.assignedTo, agent.user.id);
      // The agent answers on instance B; the visitor's socket is on A.
      await expectStatus(
        b.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
          token: onB,
          json: { message: "Yes, to 40 countries" },
        }),
        201,
      );
      await tab.locator("#chatcrm-widget ol.log li.theirs", { hasText: "Yes, to 40 countries" })
        .waitFor();
      // The visitor writes on A; the agent's socket on B has it live.
      const staff = await connect(apiB.wsUrl, onB);
      await staff.request("join-room", { roomId: query.roomId });
      await tab.getByLabel("Your message").fill("Great, thanks");
      await tab.getByRole("button", { name: "Send" }).click();
      await staff.next(
        "message-received",
        (d) => (d.message as { text: string }).text === "Great, thanks",
      );
      await staff.close();
      await tab.reload();
      await tab.locator("#chatcrm-widget button.launcher").click();
      await tab.locator("#chatcrm-widget ol.log li", { hasText: "Yes, to 40 countries" }).waitFor();
      assert.equal(await tab.locator("#chatcrm-widget ol.log li:not(.system)").count(), 3);
    } finally {
      await browser.close();
      await page.close();
      await apiA.close();
      await apiB.close();
      await b.close();
      await a.close();
      await redis.stop();
    }
  },
});
