/**
 * A shop's page on a loopback origin of its own ("localhost": another origin than the API's
 * 127.0.0.1 for the browser), embedding the widget served by `apiUrl`. `css` is the page's own
 * styles, which must not reach into the widget.
 */
export function hostPage(apiUrl: string, websiteToken: string, css = "") {
  const html = `<!doctype html><html lang="en"><head><title>Shop</title>
<style>${css}</style></head>
<body><main><h1>Our shop</h1></main>
<script src="${apiUrl}/widget.js" data-website-token="${websiteToken}" async></script>
</body></html>`;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } }),
  );
  const port = (server.addr as Deno.NetAddr).port;
  return { url: `http://localhost:${port}`, close: () => server.shutdown() };
}
