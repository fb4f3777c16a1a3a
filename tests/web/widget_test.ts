import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { chromium as playwright, type Request as PageRequest } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { onePixelPng } from "@tests/helpers/files.ts";
import { serve, testApp } from "@tests/helpers/app.ts";
import { hostPage } from "@tests/helpers/widget.ts";
import { findBinary, skipWithout } from "@tests/helpers/servers.ts";
import { aDesk, anAgent, expectStatus } from "@tests/helpers/support.ts";
import { bundleWidget, widgetOutput } from "@/web/build.ts";

const chromium = findBinary("chromium") ?? findBinary("chromium-browser");
const skipChromium = skipWithout("chromium", chromium !== null);
/** The host page's own styles, which must not reach into the widget. */
const shopCss = "button { background: red !important; } li { display: none !important; }";

Deno.test("src/web/dist/widget.js is the current bundle of src/web (deno task build-widget)", async () => {
  assert.equal(await Deno.readTextFile(widgetOutput), await bundleWidget());
});

Deno.test("GET /widget.js: the bundle, cacheable, with a CSP and an ETag", async () => {
  const t = await testApp();
  try {
    const res = await t.call("GET", "/widget.js");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.match(res.headers.get("cache-control") ?? "", /public, max-age=\d+/);
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.equal(res.headers.get("cross-origin-resource-policy"), "cross-origin");
    assert.equal(await res.text(), await Deno.readTextFile(widgetOutput));
    const etag = res.headers.get("etag")!;
    const again = await t.call("GET", "/widget.js", { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    await again.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test({
  name:
    "the widget in headless Chromium: pre-chat, live answer, history after a reload, a file, axe, CSAT; nothing on other origins",
  ignore: skipChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await testApp();
    const api = serve(t.app);
    const desk = await aDesk(t);
    const agent = await anAgent(desk, { name: "Alice Agent" });
    const inbox = await expectStatus(
      t.call("POST", "/api/v1/inboxes/web", {
        token: desk.token.Admin,
        json: {
          name: "Shop chat",
          allowedOrigins: ["http://localhost:1"],
          greeting: "Hi! Ask us anything.",
          preChat: { name: "required", email: "optional" },
        },
      }),
      201,
    );
    const allowed = hostPage(api.url, inbox.websiteToken, shopCss);
    const browser = await playwright.launch({
      executablePath: chromium!,
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      // The page's port is known once it serves: the inbox allows that origin from now on.
      await expectStatus(
        t.call("PUT", `/api/v1/inboxes/web/${inbox.id}`, {
          token: desk.token.Admin,
          json: { allowedOrigins: [allowed.url] },
        }),
        200,
      );
      const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
      const page = await context.newPage();
      await page.goto(allowed.url);
      const launcher = page.locator("#chatcrm-widget button.launcher");
      await launcher.click();
      assert.equal(await launcher.getAttribute("aria-expanded"), "true");
      await page.getByText("Hi! Ask us anything.").waitFor();
      await page.getByLabel("Your name (required)").fill("Ann Visitor");
      await page.getByLabel("How can we help?").fill("Where is my parcel?");
      await page.getByRole("button", { name: "Start chat" }).click();
      await page.locator("#chatcrm-widget ol.log li.mine", { hasText: "Where is my parcel?" })
        .waitFor();

      const queries = await t.deps.store.queries.list(
        desk.org.id,
        {},
        { field: "createdAt", order: "asc" },
        { page: 1, limit: 10 },
      );
      const query = queries.data.find((q) => q.title === "Where is my parcel?")!;
      assert.equal(query.source, "Chat");
      assert.equal(query.assignedTo, agent.user.id);
      await expectStatus(
        t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
          token: agent.token,
          json: { message: "It left our warehouse today" },
        }),
        201,
      );
      await page.locator("#chatcrm-widget ol.log li.theirs", {
        hasText: "It left our warehouse today",
      }).waitFor();
      await page.getByText("You are chatting with Alice Agent").waitFor();
      const contact = await t.deps.store.users.findById(desk.org.id, query.customerId);
      assert.equal(contact?.name, "Ann Visitor");

      // Read receipts the page sends for its history: one for the page, up to its last message.
      const receipts: { seq: number }[] = [];
      const isReceipt = (r: PageRequest) => r.method() === "PUT" && r.url().endsWith("/read");
      page.on("request", (r) => isReceipt(r) && receipts.push(r.postDataJSON()));
      const receipted = page.waitForRequest(isReceipt);
      await page.reload();
      await page.locator("#chatcrm-widget button.launcher").click();
      await page.locator("#chatcrm-widget ol.log li", { hasText: "It left our warehouse today" })
        .waitFor();
      assert.equal(await page.locator("#chatcrm-widget ol.log li:not(.system)").count(), 2);
      const last = await t.deps.store.messages.last(desk.org.id, query.roomId!, { customer: true });
      await page.screenshot({ path: await Deno.makeTempFile({ suffix: ".png" }) });

      await receipted;
      // A file goes up from the panel and comes back into the log over the socket.
      await page.locator("#chatcrm-widget input[type=file]").setInputFiles({
        name: "receipt.png",
        mimeType: "image/png",
        buffer: Buffer.from(onePixelPng),
      });
      await page.locator("#chatcrm-widget ol.log li.mine", { hasText: "📎" }).waitFor();
      const forHistory = receipts.filter((r) => r.seq <= last!.customerSeq);
      assert.deepEqual(forHistory, [{ seq: last!.customerSeq }]);

      const axe = await new AxeBuilder({ page }).include("#chatcrm-widget").analyze();
      const serious = axe.violations.filter((v) => ["serious", "critical"].includes(v.impact!));
      assert.deepEqual(serious.map((v) => `${v.id}: ${v.help}`), []);

      // Resolved: the widget asks for a rating, and the rating is the query's.
      for (const status of ["In Progress", "Resolved"]) {
        await expectStatus(
          t.call("PUT", `/api/v1/queries/${query.id}/status`, {
            token: agent.token,
            json: { status },
          }),
          200,
        );
      }
      await page.getByRole("button", { name: "4 of 5" }).click();
      await page.getByText("Thank you for your rating!").waitFor();
      const rated = await t.deps.store.queries.findById(desk.org.id, query.id);
      assert.equal(rated?.csat?.rating, 4);

      // Another origin loads the script and gets nothing.
      const other = hostPage(api.url, inbox.websiteToken, shopCss);
      try {
        const stranger = await browser.newPage();
        const refused = stranger.waitForResponse((r) => r.url().includes("/widget/settings"));
        await stranger.goto(other.url.replace("localhost", "127.0.0.1"));
        assert.equal((await refused).status(), 403);
        assert.equal(await stranger.locator("#chatcrm-widget").count(), 0);
      } finally {
        await other.close();
      }
    } finally {
      await browser.close();
      await allowed.close();
      await api.close();
      await t.close();
    }
  },
});
