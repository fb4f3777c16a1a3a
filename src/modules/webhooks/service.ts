import type { Deps } from "@/deps.ts";
import type { DomainEvent } from "@/events.ts";
import { AppError, notFound } from "@/errors.ts";
import { audit } from "@/modules/audit/service.ts";
import type { AuthContext } from "@/modules/auth/context.ts";
import { egressPolicy, EgressRefused } from "@/net/egress.ts";
import ipaddr from "ipaddr.js";
import { activeOrganizations } from "@/modules/organizations/repository.ts";
import type { NotificationService } from "@/modules/notifications/service.ts";
import { encryptionKey, type SecretBox, secretBox } from "@/modules/email/secrets.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import type { WebhookDelivery, WebhookEndpoint, WebhookEventType } from "./model.ts";
import { activeEndpoints } from "./active_endpoints.ts";
import { webhookRepository } from "./repository.ts";
import { newWebhookSecret } from "./signing.ts";
import { eventData, webhookBody } from "./payload.ts";
import {
  type AttemptOutcome,
  attemptTimeoutMs,
  claimAndAttempt,
  type DeliveryContext,
} from "./delivery.ts";

/** An endpoint as the API shows it: no secret (only on create and rotation). */
/** How long finished deliveries stay listed (and stored). */
export const deliveryRetentionDays = 30;

export type WebhookView = Omit<WebhookEndpoint, "secret" | "previousSecret">;
export type WebhookWithSecret = WebhookView & { secret: string };

/** A delivery as the API shows it: no lease internals, no payload. */
export type DeliveryView = Omit<WebhookDelivery, "leaseOwner" | "leaseUntil" | "payload">;

export interface NewWebhook {
  url: string;
  events: WebhookEventType[];
  description: string;
  active: boolean;
}

export interface DeliveryRun {
  attempted: number;
  delivered: number;
  retrying: number;
  failed: number;
}

/** Who changes an endpoint, for the audit log. */
export type Changer = Pick<AuthContext, "userId" | "role">;

export interface WebhookService {
  list(orgId: string, page: PageRequest): Promise<PageResult<WebhookView>>;
  get(orgId: string, id: string): Promise<WebhookView>;
  /** A new endpoint; its secret is in this answer only. */
  create(orgId: string, by: Changer, input: NewWebhook): Promise<WebhookWithSecret>;
  /** Changes fields; turning it active again clears why it was disabled. */
  update(
    orgId: string,
    by: Changer,
    id: string,
    patch: Partial<NewWebhook>,
  ): Promise<WebhookView>;
  remove(orgId: string, by: Changer, id: string): Promise<void>;
  /** A new secret (answered once); the old one keeps signing for the grace period. */
  rotateSecret(orgId: string, by: Changer, id: string): Promise<WebhookWithSecret>;
  deliveries(orgId: string, id: string, page: PageRequest): Promise<PageResult<DeliveryView>>;
  /** Attempts the delivery again now (same webhook-id), whatever its state. */
  retry(orgId: string, id: string, deliveryId: string): Promise<DeliveryView>;
  /** Sends a `ping` to the endpoint now and answers how it went. */
  test(orgId: string, id: string): Promise<DeliveryView>;
  /** The domain-event listener: one outbox row per subscribed active endpoint. */
  enqueue(event: DomainEvent): Promise<number>;
  /** Listens for the endpoint changes other instances make (their cached lists drop). */
  start(): Promise<void>;
  /** The job: attempts every due delivery of every organization. */
  deliverDue(): Promise<DeliveryRun>;
  /** Deletes finished deliveries older than `deliveryRetentionDays`; how many went. */
  prune(): Promise<number>;
  /** Deliveries still pending, over every organization (the outbox backlog). */
  backlog(): Promise<number>;
  /** Resolves once the attempts started by `enqueue` have ended (tests, shutdown). */
  settle(): Promise<void>;
}

/** What the rest of the process may watch (metrics), and how it delivers. */
export interface WebhookHooks {
  onAttempt?: (outcome: AttemptOutcome) => void;
  /**
   * Attempt each new delivery at once, in the background (the process that runs the jobs);
   * otherwise the delivery job finds it within a minute.
   */
  attemptAtOnce?: boolean;
}

export function deliveryView(d: WebhookDelivery): DeliveryView {
  const { leaseOwner: _o, leaseUntil: _u, payload: _p, ...rest } = d;
  return rest;
}

export function webhookView(e: WebhookEndpoint): WebhookView {
  const { secret: _s, previousSecret: _p, ...rest } = e;
  return rest;
}

/** Endpoints, their signed deliveries through the outbox, and the delivery job. */
export function createWebhookService(
  deps: Pick<Deps, "store" | "bus" | "clock" | "ids" | "log" | "instanceId" | "config">,
  notifications: Pick<NotificationService, "notify">,
  hooks: WebhookHooks = {},
): WebhookService {
  const repo = webhookRepository(deps.store);
  const active = activeEndpoints(deps, async (orgId) =>
    (await repo.endpoints.find(orgId, {
      where: { active: true },
      sort: [["createdAt", "asc"]],
      page: { page: 1, limit: 100 },
    })).data);
  let boxPromise: Promise<SecretBox> | undefined;
  const box = () => boxPromise ??= encryptionKey(deps.config).then(secretBox);
  const ctx: DeliveryContext = {
    deps,
    repo,
    box,
    outbound: {
      egress: egressPolicy({ allowedCidrs: deps.config.outboundAllowedCidrs }),
      timeoutMs: attemptTimeoutMs,
    },
    notifications,
    changed: (orgId) => active.changed(orgId),
    ...(hooks.onAttempt ? { onAttempt: hooks.onAttempt } : {}),
  };
  const now = () => deps.clock.now().toISOString();
  const pending = new Set<Promise<unknown>>();
  /** The first attempt, right after the outbox row is written; a failure is left to the job. */
  function attemptSoon(d: WebhookDelivery) {
    const attempt = claimAndAttempt(ctx, d).catch((err) =>
      deps.log.error("webhook attempt failed", { deliveryId: d.id, error: String(err) })
    ).finally(() => pending.delete(attempt));
    pending.add(attempt);
  }
  const record = (
    orgId: string,
    by: Changer,
    action: "created" | "updated" | "removed" | "secret_rotated",
    id: string,
    details: Record<string, unknown> = {},
  ) =>
    audit(deps, {
      organizationId: orgId,
      action: `webhook.${action}`,
      actor: by,
      targetType: "webhook",
      targetId: id,
      ip: null,
      details,
    });

  /** A URL naming an address the egress policy refuses is refused now (names: at delivery). */
  async function reachable(url: string) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    if (!ipaddr.isValid(host)) return;
    try {
      await ctx.outbound.egress.check({ host, port: 443 });
    } catch (err) {
      if (!(err instanceof EgressRefused)) throw err;
      throw new AppError("VALIDATION_FAILED", "Request validation failed", {
        details: [{ path: "url", message: `refused by the egress policy (${err.range} address)` }],
      });
    }
  }

  async function found(orgId: string, id: string) {
    const endpoint = await repo.endpoints.get(orgId, id);
    if (!endpoint) throw notFound("Webhook", id);
    return endpoint;
  }

  async function withSecret(endpoint: WebhookEndpoint): Promise<WebhookWithSecret> {
    const secret = await (await box()).open(endpoint.secret, `${endpoint.id}:webhook`);
    return { ...webhookView(endpoint), secret };
  }

  async function outbox(
    endpoint: WebhookEndpoint,
    eventId: string | null,
    type: string,
    body: string,
  ) {
    const at = now();
    return await repo.deliveries.insert({
      id: deps.ids.next(),
      organizationId: endpoint.organizationId,
      endpointId: endpoint.id,
      eventId,
      type,
      payload: body,
      status: "pending",
      attempts: 0,
      nextAttemptAt: at,
      leaseOwner: null,
      leaseUntil: null,
      lastAttemptAt: null,
      lastStatusCode: null,
      lastError: null,
      lastLatencyMs: null,
      deliveredAt: null,
      createdAt: at,
      updatedAt: at,
    });
  }

  async function attemptNow(d: WebhookDelivery): Promise<DeliveryView> {
    const after = await claimAndAttempt(ctx, d);
    if (!after) throw new AppError("CONFLICT", "This delivery is being attempted right now");
    return deliveryView(after);
  }

  return {
    start: () => active.start(),
    async list(orgId, page) {
      const r = await repo.endpoints.find(orgId, { sort: [["createdAt", "asc"]], page });
      return { data: r.data.map(webhookView), total: r.total };
    },
    async get(orgId, id) {
      return webhookView(await found(orgId, id));
    },
    async create(orgId, by, input) {
      await reachable(input.url);
      const id = deps.ids.next();
      const at = now();
      const secret = newWebhookSecret();
      const endpoint = await repo.endpoints.insert({
        id,
        organizationId: orgId,
        url: input.url,
        events: [...new Set(input.events)],
        description: input.description,
        active: input.active,
        secret: await (await box()).seal(secret, `${id}:webhook`),
        previousSecret: null,
        previousSecretUntil: null,
        disabledReason: null,
        disabledAt: null,
        failingSince: null,
        createdAt: at,
        updatedAt: at,
      });
      await active.changed(orgId);
      await record(orgId, by, "created", id, { url: endpoint.url, events: endpoint.events });
      return { ...webhookView(endpoint), secret };
    },
    async update(orgId, by, id, patch) {
      const current = await found(orgId, id);
      if (patch.url) await reachable(patch.url);
      const revived = patch.active === true && !current.active;
      const next: Partial<WebhookEndpoint> = {
        ...patch,
        ...(patch.events ? { events: [...new Set(patch.events)] } : {}),
        ...(revived ? { disabledReason: null, disabledAt: null, failingSince: null } : {}),
        updatedAt: now(),
      };
      const updated = await repo.endpoints.update(orgId, id, next);
      if (!updated) throw notFound("Webhook", id);
      await active.changed(orgId);
      await record(orgId, by, "updated", id, { fields: Object.keys(patch) });
      return webhookView(updated);
    },
    async remove(orgId, by, id) {
      if (!await repo.endpoints.delete(orgId, id)) throw notFound("Webhook", id);
      await active.changed(orgId);
      await repo.deliveries.updateMany(orgId, { endpointId: id, status: "pending" }, {
        status: "failed",
        nextAttemptAt: null,
        lastError: "Endpoint removed",
        updatedAt: now(),
      });
      await record(orgId, by, "removed", id);
    },
    async rotateSecret(orgId, by, id) {
      const current = await found(orgId, id);
      const at = deps.clock.now();
      const secret = newWebhookSecret();
      const grace = deps.config.webhooks.secretGraceSeconds * 1000;
      const updated = await repo.endpoints.update(orgId, id, {
        secret: await (await box()).seal(secret, `${id}:webhook`),
        previousSecret: current.secret,
        previousSecretUntil: new Date(at.getTime() + grace).toISOString(),
        updatedAt: at.toISOString(),
      }, { secret: current.secret });
      if (!updated) throw new AppError("CONFLICT", "The secret was rotated at the same time");
      await active.changed(orgId);
      await record(orgId, by, "secret_rotated", id);
      return await withSecret(updated);
    },
    async deliveries(orgId, id, page) {
      await found(orgId, id);
      const r = await repo.deliveries.find(orgId, {
        where: { endpointId: id },
        sort: [["createdAt", "desc"]],
        page,
      });
      return { data: r.data.map(deliveryView), total: r.total };
    },
    async retry(orgId, id, deliveryId) {
      await found(orgId, id);
      const d = await repo.deliveries.get(orgId, deliveryId);
      if (!d || d.endpointId !== id) throw notFound("Delivery", deliveryId);
      if (d.leaseUntil && d.leaseUntil > now()) {
        throw new AppError("CONFLICT", "This delivery is being attempted right now");
      }
      const due = await repo.deliveries.update(orgId, d.id, {
        status: "pending",
        nextAttemptAt: now(),
        leaseOwner: null,
        leaseUntil: null,
      }, { status: d.status, nextAttemptAt: d.nextAttemptAt });
      if (!due) throw new AppError("CONFLICT", "This delivery is being attempted right now");
      return await attemptNow(due);
    },
    async test(orgId, id) {
      const endpoint = await found(orgId, id);
      const body = webhookBody("ping", now(), { webhookId: endpoint.id });
      return await attemptNow(await outbox(endpoint, null, "ping", body));
    },
    async enqueue(event) {
      const endpoints = await active.of(event.organizationId);
      const wanted = endpoints.filter((e) =>
        e.events.includes("*") || e.events.includes(event.name)
      );
      if (wanted.length === 0) return 0;
      const body = webhookBody(event.name, event.at, eventData(event));
      const written = [];
      for (const endpoint of wanted) {
        written.push(await outbox(endpoint, event.id, event.name, body));
      }
      if (hooks.attemptAtOnce) written.forEach(attemptSoon);
      return wanted.length;
    },
    async settle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    async deliverDue() {
      const run: DeliveryRun = { attempted: 0, delivered: 0, retrying: 0, failed: 0 };
      for await (const org of activeOrganizations(deps.store.organizations)) {
        for (;;) {
          const due = await repo.due(org.id, now(), 20);
          if (due.length === 0) break;
          const settled = await Promise.allSettled(due.map((d) => claimAndAttempt(ctx, d)));
          for (const s of settled) {
            // A store failure mid-attempt: the lease runs out and a later run tries again.
            if (s.status === "rejected") {
              deps.log.error("webhook attempt failed", { error: String(s.reason) });
              continue;
            }
            const r = s.value;
            if (!r) continue;
            run.attempted++;
            if (r.status === "delivered") run.delivered++;
            else if (r.status === "failed") run.failed++;
            else run.retrying++;
          }
          if (due.length < 20) break;
        }
      }
      return run;
    },
    async prune() {
      const cutoff = new Date(deps.clock.now().getTime() - deliveryRetentionDays * 86400_000)
        .toISOString();
      let pruned = 0;
      for await (const org of activeOrganizations(deps.store.organizations)) {
        for (const status of ["delivered", "failed"] as const) {
          const oldest = await repo.deliveries.find(org.id, {
            where: { status },
            sort: [["createdAt", "asc"]],
            page: { page: 1, limit: 500 },
          });
          for (const d of oldest.data) {
            if (d.createdAt >= cutoff) break;
            if (await repo.deliveries.delete(org.id, d.id)) pruned++;
          }
        }
      }
      return pruned;
    },
    async backlog() {
      let total = 0;
      for await (const org of activeOrganizations(deps.store.organizations)) {
        const r = await repo.deliveries.find(org.id, {
          where: { status: "pending" },
          sort: [],
          page: { page: 1, limit: 1 },
        });
        total += r.total;
      }
      return total;
    },
  };
}
