import { Hono } from "hono";
import type { AppEnv } from "./env.ts";

/** Swagger UI's browser bundle, served from the installed npm package: no CDN needed. */
const assetDir = new URL("../../node_modules/swagger-ui-dist/", import.meta.url);
const assets: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
};

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>ChatCRM API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const init = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  validatorUrl: null,
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
});`;

/** `/docs`: an API reference page for `/openapi.json` that works with no internet access. */
export function docsRoutes(): Hono<AppEnv> {
  const cache = new Map<string, Uint8Array>();
  return new Hono<AppEnv>()
    .get("/", (c) => c.html(page))
    .get("/init.js", (c) => c.body(init, 200, { "content-type": "text/javascript; charset=utf-8" }))
    .get("/assets/:file", async (c) => {
      const file = c.req.param("file");
      const type = assets[file];
      if (!type) return c.notFound();
      let body = cache.get(file);
      if (!body) {
        body = await Deno.readFile(new URL(file, assetDir));
        cache.set(file, body);
      }
      return c.body(body as Uint8Array<ArrayBuffer>, 200, {
        "content-type": type,
        "cache-control": "public, max-age=86400",
      });
    });
}
