import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { buildJobs, type Job, runExclusive } from "@/jobs/jobs.ts";
import { memorySharedState } from "@/bus/memory.ts";
import { testApp, testDeps } from "@tests/helpers/app.ts";
import { aTenant } from "@tests/helpers/identity.ts";
import { aDesk, anAgent, expectStatus, openQuery } from "@tests/helpers/support.ts";
import type { Services } from "@/services.ts";

Deno.test("runExclusive() runs a job once a minute however many instances try", async () => {
  const clock = fixedClock("2026-06-01T10:00:05.000Z");
  const shared = memorySharedState(() => clock.now().getTime());
  const a = await testDeps({ clock, shared });
  const b = await testDeps({ clock, shared });
  try {
    let runs = 0;
    const job: Job = { name: "count", schedule: "* * * * *", run: async () => runs++ };
    const first = await Promise.all([runExclusive(a, job), runExclusive(b, job)]);
    assert.deepEqual(first.sort(), [false, true]);
    assert.equal(runs, 1);
    clock.advance(60_000);
    assert.equal(await runExclusive(b, job), true);
    assert.equal(runs, 2);
  } finally {
    await b.close();
    await a.close();
  }
});

Deno.test("runExclusive() logs a failing job and keeps going", async () => {
  const errors: unknown[] = [];
  const quiet = () => {};
  const log = {
    debug: quiet,
    info: quiet,
    warn: quiet,
    error: (...a: unknown[]) => errors.push(a),
  };
  const deps = await testDeps({ log });
  try {
    const job: Job = {
      name: "fails",
      schedule: "* * * * *",
      run: () => Promise.reject(new Error("mailbox unreachable")),
    };
    assert.equal(await runExclusive(deps, job), true);
    assert.deepEqual(errors, [["job failed", { job: "fails", error: "mailbox unreachable" }]]);
  } finally {
    await deps.close();
  }
});

Deno.test("buildJobs() schedules every job on the process's own services", async () => {
  const t = await testApp();
  try {
    await aTenant(t);
    const jobs = buildJobs(t.deps, t.services);
    const names = jobs.map((j) => j.name);
    for (
      const name of [
        "sla",
        "requeue-unanswered",
        "poll-mailboxes",
        "email-replies",
        "report-snapshots",
        "webhook-deliveries",
      ]
    ) {
      assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
    }
    assert.equal(new Set(names).size, names.length, "job names are unique (they name leases)");
    // Each job runs on the very instances the API's routes and listeners use.
    const called = spyOn(t.services, [
      ["email", "pollDue"],
      ["email", "sendDue"],
      ["routing", "requeueUnanswered"],
      ["reports", "snapshotDay"],
      ["webhooks", "deliverDue"],
    ]);
    const sla = t.services.sla;
    t.services.sla = () => (called.push("sla"), sla());
    for (const job of jobs) await job.run();
    assert.deepEqual([...new Set(called)].sort(), [
      "email.pollDue",
      "email.sendDue",
      "reports.snapshotDay",
      "routing.requeueUnanswered",
      "sla",
      "webhooks.deliverDue",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("buildServices() is one graph: routes and listeners reach the same instances", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    await anAgent(desk);
    const query = await openQuery(desk);
    const called = spyOn(t.services, [["queries", "list"], ["queries", "customerReplied"]]);
    await expectStatus(t.call("GET", "/api/v1/queries", { token: desk.token.Customer }), 200);
    await expectStatus(
      t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
        token: desk.token.Customer,
        json: { message: "Any news?" },
      }),
      201,
    );
    // One listener for the message (subscribed once), on the service the route used.
    assert.deepEqual(called, ["queries.list", "queries.customerReplied"]);
  } finally {
    await t.close();
  }
});

/** Wraps methods of services in place and records each call as `service.method`. */
function spyOn(services: Services, methods: [keyof Services, string][]): string[] {
  const called: string[] = [];
  for (const [name, method] of methods) {
    const service = services[name] as unknown as Record<string, (...a: unknown[]) => unknown>;
    const original = service[method]!.bind(service);
    service[method] = (...args) => {
      called.push(`${name}.${method}`);
      return original(...args);
    };
  }
  return called;
}
