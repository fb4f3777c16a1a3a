import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { jobSchedules } from "@/jobs/jobs.ts";
import { registerCrons } from "../../workers/cron.ts";

type Registered = { name: string; schedule: string; run: () => Promise<void> };

/** A stand-in for Deno.cron that lists what is registered, scheduling nothing. */
function recorder() {
  const registered: Registered[] = [];
  const cron = (name: string, schedule: string, _o: unknown, run: () => Promise<void>) =>
    void registered.push({ name, schedule, run });
  return { registered, cron };
}

Deno.test("registerCrons() registers every job at once, before the services exist; runs wait for them and obey CRONS_ENABLED", async () => {
  const t = await testApp();
  try {
    for (const enabled of [false, true]) {
      const ready = Promise.withResolvers<
        { deps: typeof t.deps; services: typeof t.services; enabled: boolean }
      >();
      const { registered, cron } = recorder();
      registerCrons(ready.promise, new AbortController().signal, cron);
      // Registered synchronously, while the services are still being built (Deno Deploy's rule).
      assert.deepEqual(
        registered.map((r) => [r.name, r.schedule]),
        Object.entries(jobSchedules),
      );
      const sla = registered.find((r) => r.name === "sla")!;
      const running = sla.run();
      ready.resolve({ deps: t.deps, services: t.services, enabled });
      await running;
      const minute = Math.floor(Date.now() / 60_000);
      const lease = await t.deps.shared.get(`job:sla:${minute}`);
      assert.equal(lease !== null, enabled, enabled ? "ran once its services were there" : "off");
      await t.deps.shared.delete(`job:sla:${minute}`);
    }
  } finally {
    await t.close();
  }
});
