import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { findBinary, skipWithout } from "@tests/helpers/servers.ts";

const chromium = findBinary("chromium") ?? findBinary("chromium-browser");
const skipChromium = skipWithout("chromium", chromium !== null);

Deno.test("GET /openapi.json is an OpenAPI 3.1 document listing /health/ready", async () => {
  const t = await testApp();
  try {
    const res = await t.call("GET", "/openapi.json");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const doc = await res.json();
    assert.match(doc.openapi, /^3\.1\./);
    assert.equal(doc.info.title, "ChatCRM API");
    assert.ok(doc.paths["/health/ready"]?.get, "GET /health/ready is documented");
    assert.equal(doc.paths["/health/ready"].get.summary, "Readiness: the store and the bus answer");
    assert.ok(doc.paths["/health/live"]?.get, "GET /health/live is documented");
  } finally {
    await t.close();
  }
});

Deno.test("GET /docs references only same-origin scripts and styles, all served by the app", async () => {
  const t = await testApp();
  try {
    const res = await t.call("GET", "/docs");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    const html = await res.text();
    // Every script's src and every stylesheet link's href.
    const tags = [...html.matchAll(/<(?:script|link)\b[^>]*>/gi)].map((m) => m[0]);
    const refs = tags.flatMap((tag) => {
      const ref = /\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/i.exec(tag)?.[1];
      return ref ? [ref] : [];
    });
    assert.ok(refs.length >= 3, `the page loads its scripts and styles: ${refs.join(", ")}`);
    for (const ref of refs) {
      const url = new URL(ref, "http://app.invalid/docs");
      assert.equal(url.origin, "http://app.invalid", `${ref} is same-origin`);
      const asset = await t.call("GET", url.pathname + url.search);
      assert.equal(asset.status, 200, `${ref} is served by the app`);
      assert.match(asset.headers.get("content-type") ?? "", /text\/(css|javascript)/, ref);
      await asset.body?.cancel();
    }
    assert.ok(refs.some((r) => r.endsWith(".js")), "at least one script");
    assert.ok(refs.some((r) => r.endsWith(".css")), "at least one stylesheet");
    const init = await t.call("GET", refs.find((r) => r.endsWith("init.js")) ?? "/docs/init.js");
    assert.doesNotMatch(await init.text(), /\bhttps?:\/\//, "the page's setup names no other host");
  } finally {
    await t.close();
  }
});

Deno.test({
  name: "headless Chromium renders /docs offline from the app's own assets",
  ignore: skipChromium,
  async fn() {
    const t = await testApp();
    // Every path Chromium asks for, to prove the page came from this app and nowhere else.
    const requested: string[] = [];
    let policy: string | null = null;
    const server = serve({
      fetch: async (req, info) => {
        const path = new URL(req.url).pathname;
        requested.push(path);
        const res = await t.app.fetch(req, info);
        if (path === "/docs") policy = res.headers.get("content-security-policy");
        return res;
      },
    });
    const profile = await Deno.makeTempDir({ prefix: "chatcrm-chromium-" });
    try {
      assert.ok(chromium, "chromium is installed (CI=true requires it)");
      const { code, stdout, stderr } = await new Deno.Command(chromium, {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--disable-quic",
          "--disable-dev-shm-usage",
          `--user-data-dir=${profile}`,
          "--virtual-time-budget=10000",
          "--dump-dom",
          `${server.url}/docs`,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(90_000),
      }).output();
      const dom = new TextDecoder().decode(stdout);
      const log = new TextDecoder().decode(stderr).split("\n").slice(-10).join("\n");
      assert.equal(code, 0, `chromium exited ${code}:\n${log}`);
      // Swagger UI turns each operation into an `opblock` with its path and summary.
      assert.match(dom, /class="[^"]*\bopblock\b/, "operations are rendered");
      assert.match(dom, /data-path="\/health\/ready"/, "GET /health/ready is rendered");
      assert.match(dom, /data-path="\/health\/live"/, "GET /health/live is rendered");
      assert.ok(dom.includes("Readiness: the store and the bus answer"), "its summary is shown");
      assert.ok(dom.includes("ChatCRM API"), "the document title is shown");
      for (const path of ["/docs/assets/swagger-ui-bundle.js", "/openapi.json"]) {
        assert.ok(requested.includes(path), `the page fetched ${path} from the app`);
      }
      // The page rendered under its Content-Security-Policy, which allows only its own scripts.
      assert.match(policy ?? "", /script-src 'self'(;|$)/, "the page was served with its CSP");
    } finally {
      await server.close();
      await t.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});
