/**
 * Bundles the widget (src/web/widget.ts) with esbuild into src/web/dist/widget.js, which the API
 * serves at /widget.js. `deno task build-widget` writes it; a test checks it is current.
 */
import * as esbuild from "esbuild";
import { fileURLToPath as fromFileUrl } from "node:url";

export const widgetEntry = fromFileUrl(new URL("./widget.ts", import.meta.url));
export const widgetOutput = fromFileUrl(new URL("./dist/widget.js", import.meta.url));

/** The bundle's text, as the build writes it. */
export async function bundleWidget(): Promise<string> {
  try {
    const result = await esbuild.build({
      entryPoints: [widgetEntry],
      bundle: true,
      write: false,
      minify: true,
      format: "iife",
      target: ["es2020"],
      legalComments: "none",
      charset: "utf8",
    });
    return result.outputFiles[0]!.text;
  } finally {
    await esbuild.stop();
  }
}

if (import.meta.main) {
  const text = await bundleWidget();
  await Deno.mkdir(fromFileUrl(new URL("./dist/", import.meta.url)), { recursive: true });
  await Deno.writeTextFile(widgetOutput, text);
  console.log(`wrote ${widgetOutput.split("/").slice(-3).join("/")} (${text.length} bytes)`);
}
