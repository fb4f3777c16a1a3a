import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AttemptOutcome } from "@/modules/webhooks/delivery.ts";

/**
 * The process's Prometheus instruments, in a registry of its own (several apps in one test
 * process never share counters). Every label takes a bounded set of values: route templates,
 * methods, status codes, job names, outcomes; never ids or organizations.
 */
export interface Metrics {
  registry: Registry;
  /** One finished HTTP request: its route template (`/api/v1/queries/:id`), method, status. */
  request(route: string, method: string, status: number, seconds: number): void;
  /** WebSocket frames in and out (live pushes; a reconnect's catch-up is not counted). */
  frames: { received(): void; sent(): void };
  /** One message stored (any channel). */
  messageStored(): void;
  /** What one mailbox-poll run did: mailboxes polled, of which failed or busy elsewhere. */
  mailboxPolls(run: { polled: number; failed: number; busy: number }): void;
  /** One webhook attempt's outcome. */
  webhookAttempt(outcome: AttemptOutcome): void;
  /** Runs a job, counting it as run or failed and timing it; rethrows its failure. */
  job<T>(name: string, run: () => Promise<T>): Promise<T>;
  /** One failed store call, by repository (`queries`, `documents`…). */
  storeError(repository: string): void;
  /** One failed bus operation (publish, subscribe, ping). */
  busError(operation: string): void;
  /** Gauges read at scrape time (open sockets, the outbox backlog). */
  observe(sources: { openSockets: () => number; webhookBacklog: () => Promise<number> }): void;
  /** The exposition text and its content type. */
  render(): Promise<{ body: string; contentType: string }>;
}

const methods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by route template, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by route template and method",
    labelNames: ["route", "method"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const framesIn = new Counter({
    name: "websocket_frames_received_total",
    help: "WebSocket frames received from clients",
    registers,
  });
  const framesOut = new Counter({
    name: "websocket_frames_sent_total",
    help: "WebSocket frames sent to clients (live pushes and answers)",
    registers,
  });
  const messages = new Counter({
    name: "chat_messages_stored_total",
    help: "Messages stored in rooms (chat, email, system lines)",
    registers,
  });
  const deliveries = new Counter({
    name: "webhook_deliveries_total",
    help: "Webhook delivery attempts by outcome",
    labelNames: ["outcome"] as const,
    registers,
  });
  const polls = new Counter({
    name: "mailbox_polls_total",
    help: "Mailbox polls by result (ok, failed, busy: another instance was polling it)",
    labelNames: ["result"] as const,
    registers,
  });
  const jobRuns = new Counter({
    name: "jobs_runs_total",
    help: "Scheduled job runs by job and result",
    labelNames: ["job", "result"] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: "job_duration_seconds",
    help: "Scheduled job durations",
    labelNames: ["job"] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60],
    registers,
  });
  const storeErrors = new Counter({
    name: "store_errors_total",
    help: "Store calls that failed (not conflicts or missing rows), by repository",
    labelNames: ["repository"] as const,
    registers,
  });
  const busErrors = new Counter({
    name: "bus_errors_total",
    help: "Bus operations that failed, by operation",
    labelNames: ["operation"] as const,
    registers,
  });
  return {
    registry,
    storeError: (repository) => storeErrors.inc({ repository }),
    busError: (operation) => busErrors.inc({ operation }),
    request(route, method, status, seconds) {
      const m = methods.has(method) ? method : "OTHER";
      requests.inc({ route, method: m, status: String(status) });
      duration.observe({ route, method: m }, seconds);
    },
    frames: { received: () => framesIn.inc(), sent: () => framesOut.inc() },
    messageStored: () => messages.inc(),
    webhookAttempt: (outcome) => deliveries.inc({ outcome }),
    mailboxPolls(run) {
      polls.inc({ result: "ok" }, run.polled - run.failed - run.busy);
      polls.inc({ result: "failed" }, run.failed);
      polls.inc({ result: "busy" }, run.busy);
    },
    async job(name, run) {
      const end = jobDuration.startTimer({ job: name });
      try {
        const result = await run();
        jobRuns.inc({ job: name, result: "ok" });
        return result;
      } catch (err) {
        jobRuns.inc({ job: name, result: "failed" });
        throw err;
      } finally {
        end();
      }
    },
    observe(sources) {
      new Gauge({
        name: "websockets_open",
        help: "WebSocket connections open on this instance",
        registers,
        collect() {
          this.set(sources.openSockets());
        },
      });
      new Gauge({
        name: "webhook_outbox_backlog",
        help: "Webhook deliveries waiting for an attempt or a retry",
        registers,
        async collect() {
          this.set(await sources.webhookBacklog());
        },
      });
    },
    async render() {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}
