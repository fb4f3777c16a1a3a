import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { buildJobs, type Job, runExclusive } from "@/jobs/jobs.ts";
import { memorySharedState } from "@/bus/memory.ts";
import { testDeps } from "@tests/helpers/app.ts";

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

Deno.test("buildJobs() schedules the SLA, reassign and mail jobs, each runnable", async () => {
  const deps = await testDeps();
  try {
    const jobs = buildJobs(deps);
    const names = jobs.map((j) => j.name);
    for (const name of ["sla", "requeue-unanswered", "poll-mailboxes", "email-replies"]) {
      assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
    }
    assert.equal(new Set(names).size, names.length, "job names are unique (they name leases)");
    for (const job of jobs) await job.run();
  } finally {
    await deps.close();
  }
});
