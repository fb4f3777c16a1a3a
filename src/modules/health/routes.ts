import { createRoute, z } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import { errorMessage } from "@/log.ts";
import { jsonResponse, router } from "@/http/openapi.ts";

const Live = z.object({ status: z.literal("ok") }).openapi("Live");
const Ready = z.object({
  status: z.enum(["ready", "unavailable"]),
  checks: z.object({ store: z.string(), bus: z.string() }),
}).openapi("Ready");

async function check(probe: () => Promise<void>, timeoutMs: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return "ok";
  } catch (err) {
    return `error: ${errorMessage(err)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** `/health/live` (the process answers) and `/health/ready` (store and bus answer too). */
export function healthRoutes(deps: Deps) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/live",
        tags: ["Health"],
        summary: "Liveness: the process answers",
        responses: { 200: jsonResponse(Live, "Alive") },
      }),
      (c) => c.json({ status: "ok" as const }, 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/ready",
        tags: ["Health"],
        summary: "Readiness: the store and the bus answer",
        responses: {
          200: jsonResponse(Ready, "Ready"),
          503: jsonResponse(Ready, "The store or the bus does not answer"),
        },
      }),
      async (c) => {
        const [store, bus] = await Promise.all([
          check(() => deps.store.ping(), 2000),
          check(() => deps.bus.ping(), 2000),
        ]);
        const ready = store === "ok" && bus === "ok";
        return ready
          ? c.json({ status: "ready" as const, checks: { store, bus } }, 200)
          : c.json({ status: "unavailable" as const, checks: { store, bus } }, 503);
      },
    );
}
