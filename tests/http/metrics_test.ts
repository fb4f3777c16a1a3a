import assert from "node:assert/strict";
import { buildJobs } from "@/jobs/jobs.ts";
import { serve, testApp } from "@tests/helpers/app.ts";
import { connect } from "@tests/helpers/ws.ts";
import { aDesk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { webhookReceiver } from "@tests/helpers/webhook_receiver.ts";

const token = "metrics-token-0123456789";

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, line: string): number | undefined {
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

async function scrape(t: Awaited<ReturnType<typeof testApp>>) {
  const res = await t.call("GET", "/metrics", { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return await res.text();
}

Deno.test("GET /metrics answers 404 without METRICS_TOKEN, and counts nothing", async () => {
  const t = await testApp();
  try {
    const res = await t.call("GET", "/metrics", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, "NOT_FOUND");
    assert.ok(!(await t.services.metrics.render()).body.includes("http_requests_total{"));
  } finally {
    await t.close();
  }
});

Deno.test("GET /metrics asks for the METRICS_TOKEN as Bearer", async () => {
  const t = await testApp({ env: { METRICS_TOKEN: token } });
  try {
    for (const headers of [{}, { authorization: "Bearer wrong-token" }, { authorization: token }]) {
      const res = await t.call("GET", "/metrics", { headers });
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error.code, "UNAUTHORIZED");
    }
    // A staff token is not the metrics token.
    const desk = await aDesk(t);
    assert.equal((await t.call("GET", "/metrics", { token: desk.token.Admin })).status, 401);
  } finally {
    await t.close();
  }
});

Deno.test("GET /metrics counts requests by route template, messages, jobs, webhook outcomes and the backlog", async () => {
  const receiver = webhookReceiver();
  const t = await testApp({ env: { METRICS_TOKEN: token, OUTBOUND_ALLOWED_CIDRS: "127.0.0.0/8" } });
  try {
    const desk = await aDesk(t);
    const hook = await expectStatus(
      t.call("POST", "/api/v1/webhooks", {
        token: desk.token.Admin,
        json: { url: receiver.url, events: ["query.created"] },
      }),
      201,
    );
    const query = await openQuery(desk);
    for (let i = 0; i < 2; i++) {
      await expectStatus(
        t.call("GET", `/api/v1/queries/${query.id}`, { token: desk.token.Customer }),
        200,
      );
    }
    await expectStatus(
      t.call("GET", "/api/v1/queries/no-such-query", { token: desk.token.Customer }),
      404,
    );

    let text = await scrape(t);
    const byRoute = (status: number) =>
      sample(
        text,
        `http_requests_total{route="/api/v1/queries/:id",method="GET",status="${status}"}`,
      );
    assert.equal(byRoute(200), 2);
    assert.equal(byRoute(404), 1);
    assert.ok(!text.includes(query.id), "no ids in labels");
    assert.ok(!text.includes(desk.org.id), "no organizations in labels");
    assert.ok(
      (sample(
        text,
        `http_request_duration_seconds_count{route="/api/v1/queries/:id",method="GET"}`,
      ) ?? 0) >= 3,
    );
    assert.equal(sample(text, "webhook_outbox_backlog"), 1);
    assert.equal(sample(text, "websockets_open"), 0);
    const messagesBefore = sample(text, "chat_messages_stored_total") ?? 0;
    await expectStatus(
      t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
        token: desk.token.Customer,
        json: { message: "Still waiting" },
      }),
      201,
    );

    // The webhook job, as cron runs it, delivers the query.created and is counted.
    const job = buildJobs(t.deps, t.services).find((j) => j.name === "webhook-deliveries")!;
    await job.run();
    assert.equal(receiver.received.length, 1);
    receiver.status = 410;
    await expectStatus(
      t.call("POST", `/api/v1/webhooks/${hook.id}/test`, { token: desk.token.Admin }),
      200,
    );

    text = await scrape(t);
    assert.equal(sample(text, "chat_messages_stored_total"), messagesBefore + 1);
    assert.equal(sample(text, 'webhook_deliveries_total{outcome="delivered"}'), 1);
    assert.equal(sample(text, 'webhook_deliveries_total{outcome="gone"}'), 1);
    assert.equal(sample(text, "webhook_outbox_backlog"), 0);
    assert.equal(sample(text, 'jobs_runs_total{job="webhook-deliveries",result="ok"}'), 1);
    assert.equal(sample(text, 'job_duration_seconds_count{job="webhook-deliveries"}'), 1);
    // The scrape itself is counted under its own template, once per scrape.
    assert.equal(
      sample(text, 'http_requests_total{route="/metrics",method="GET",status="200"}'),
      1,
    );
  } finally {
    await t.close();
    await receiver.stop();
  }
});

Deno.test("a failing job is counted as failed", async () => {
  const t = await testApp({ env: { METRICS_TOKEN: token } });
  try {
    await t.services.metrics.job("boom", () => Promise.reject(new Error("down"))).catch(() => {});
    const text = await scrape(t);
    assert.equal(sample(text, 'jobs_runs_total{job="boom",result="failed"}'), 1);
  } finally {
    await t.close();
  }
});

Deno.test("GET /metrics counts mailbox polls by result", async () => {
  // A port nothing listens on: the poll fails (connection refused).
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const t = await testApp({
    env: { METRICS_TOKEN: token, OUTBOUND_ALLOWED_CIDRS: "127.0.0.0/8", IMAP_TIMEOUT_SECONDS: "5" },
  });
  try {
    const desk = await aDesk(t);
    await expectStatus(
      t.call("POST", "/api/v1/email-config", {
        token: desk.token.Admin,
        json: {
          name: "Support",
          email: "support@desk.test",
          imap: { host: "127.0.0.1", port, secure: false, user: "u", password: "p" },
          smtp: { host: "127.0.0.1", port, secure: false },
        },
      }),
      201,
    );
    const job = buildJobs(t.deps, t.services).find((j) => j.name === "poll-mailboxes")!;
    await job.run();
    const text = await scrape(t);
    assert.equal(sample(text, 'mailbox_polls_total{result="failed"}'), 1);
    assert.equal(sample(text, 'mailbox_polls_total{result="ok"}'), 0);
    assert.equal(sample(text, 'jobs_runs_total{job="poll-mailboxes",result="ok"}'), 1);
  } finally {
    await t.close();
  }
});

Deno.test("GET /metrics counts open WebSockets and their frames", async () => {
  const t = await testApp({ env: { METRICS_TOKEN: token } });
  const server = serve(t.app);
  try {
    const desk = await aDesk(t);
    const ws = await connect(server.wsUrl, desk.token.Agent);
    await ws.request("typing", { roomId: "nowhere", isTyping: true }).catch(() => {});
    let text = await scrape(t);
    assert.equal(sample(text, "websockets_open"), 1);
    assert.ok((sample(text, "websocket_frames_received_total") ?? 0) >= 1, text);
    // `connected` and the answer to the frame.
    assert.ok((sample(text, "websocket_frames_sent_total") ?? 0) >= 2, text);
    await ws.close();
    // The server hears the close a moment after the client: a few scrapes at most.
    for (let i = 0; i < 50 && sample(text, "websockets_open") !== 0; i++) text = await scrape(t);
    assert.equal(sample(text, "websockets_open"), 0);
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("GET /metrics counts store and bus errors by repository and operation, never by id", async () => {
  const t = await testApp({ env: { METRICS_TOKEN: token } });
  try {
    const desk = await aDesk(t);
    const query = await openQuery(desk);
    const before = await scrape(t);
    assert.equal(sample(before, 'store_errors_total{repository="queries"}'), undefined);

    // The disk fails under one repository: the request fails (500) and the error is counted.
    const store = t.deps.store.queries as { findById: unknown };
    const findById = store.findById;
    store.findById = () => Promise.reject(new Error("disk I/O error"));
    const failed = await t.call("GET", `/api/v1/queries/${query.id}`, { token: desk.token.Admin });
    assert.equal(failed.status, 500);
    await failed.body?.cancel();
    store.findById = findById;
    // A conflict is an answer, not a store error: a repeated clientMessageId counts nothing.
    const say = (json: unknown) =>
      t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
        token: desk.token.Customer,
        json,
      });
    await expectStatus(say({ message: "one", clientMessageId: "c-1" }), 201);
    await expectStatus(say({ message: "one", clientMessageId: "c-1" }), 200);

    // The bus refuses a publish: the message is still stored, and the failure is counted.
    const bus = t.deps.bus as { publish: unknown };
    const publish = bus.publish;
    bus.publish = () => Promise.reject(new Error("connection lost"));
    await expectStatus(say({ message: "two" }), 201);
    bus.publish = publish;

    const text = await scrape(t);
    assert.equal(sample(text, 'store_errors_total{repository="queries"}'), 1);
    assert.equal(sample(text, 'store_errors_total{repository="messages"}'), undefined);
    assert.ok((sample(text, 'bus_errors_total{operation="publish"}') ?? 0) >= 1);
    for (const line of text.split("\n").filter((l) => /^(store|bus)_errors_total\{/.test(l))) {
      assert.match(
        line,
        /^(store_errors_total\{repository|bus_errors_total\{operation)="[a-z]+"\} /,
      );
    }
  } finally {
    await t.close();
  }
});
