import type { Deps } from "@/deps.ts";
import { errorMessage } from "@/log.ts";
import { connectionFailure } from "@/net/failures.ts";
import type { Outbound } from "@/net/egress.ts";
import type { NotificationService } from "@/modules/notifications/service.ts";
import type { SecretBox } from "@/modules/email/secrets.ts";
import type { WebhookDelivery, WebhookEndpoint } from "./model.ts";
import type { WebhookRepository } from "./repository.ts";
import { webhookHeaders } from "./signing.ts";
import { postOnce } from "./transport.ts";

/** Each attempt's timeout, as the issue sets it. */
export const attemptTimeoutMs = 10_000;
/** How long a claim holds a delivery: longer than an attempt, so only a dead holder loses it. */
export const leaseMs = 60_000;
/** Attempts in all (the first and its retries): the retries span more than a day. */
export const maxAttempts = 10;

/**
 * The wait before retry `n` (1 = after the first failure): 5 s times 4 per retry, at most 10 h,
 * plus up to 20% jitter so receivers coming back are not hit all at once. The nine retries
 * span 27.6 h or more.
 */
export function retryDelayMs(n: number, random: () => number = Math.random): number {
  const base = Math.min(5_000 * 4 ** (n - 1), 10 * 3600_000);
  return Math.round(base * (1 + 0.2 * random()));
}

/** What an attempt came to, for the delivery list and the metrics. */
export type AttemptOutcome = "delivered" | "retrying" | "failed" | "gone" | "lost";

export interface DeliveryContext {
  deps: Pick<Deps, "store" | "clock" | "ids" | "log" | "instanceId" | "config">;
  repo: WebhookRepository;
  box: () => Promise<SecretBox>;
  outbound: Outbound;
  notifications: Pick<NotificationService, "notify">;
  /** Told when an endpoint is turned off, so that no instance keeps it as active. */
  changed: (orgId: string) => Promise<void>;
  /** Told about every finished attempt (metrics). */
  onAttempt?: (outcome: AttemptOutcome) => void;
}

/** The secrets that sign now: the current one, and the previous one during its grace. */
async function signingSecrets(ctx: DeliveryContext, endpoint: WebhookEndpoint, now: Date) {
  const box = await ctx.box();
  const secrets = [await box.open(endpoint.secret, `${endpoint.id}:webhook`)];
  if (
    endpoint.previousSecret && endpoint.previousSecretUntil &&
    Date.parse(endpoint.previousSecretUntil) > now.getTime()
  ) {
    secrets.push(await box.open(endpoint.previousSecret, `${endpoint.id}:webhook`));
  }
  return secrets;
}

/** Claims the delivery and makes one attempt; the delivery after it (null when not claimed). */
export async function claimAndAttempt(
  ctx: DeliveryContext,
  delivery: WebhookDelivery,
): Promise<WebhookDelivery | null> {
  const owner = ctx.deps.instanceId;
  const until = new Date(ctx.deps.clock.now().getTime() + leaseMs).toISOString();
  const claimed = await ctx.repo.claim(delivery, owner, until);
  if (!claimed) return null;
  return await attempt(ctx, claimed);
}

async function attempt(ctx: DeliveryContext, d: WebhookDelivery): Promise<WebhookDelivery> {
  const now = ctx.deps.clock.now();
  const at = now.toISOString();
  const endpoint = await ctx.repo.endpoints.get(d.organizationId, d.endpointId);
  if (!endpoint || !endpoint.active) {
    const error = endpoint ? "Endpoint disabled" : "Endpoint removed";
    return await finish(ctx, d, "failed", {
      status: "failed",
      nextAttemptAt: null,
      lastError: error,
    });
  }
  let statusCode: number | null = null;
  let failure: string | null = null;
  const started = performance.now();
  const secrets = await signingSecrets(ctx, endpoint, now).catch(() => null);
  if (!secrets) failure = "secret unreadable (ENCRYPTION_KEY changed since it was saved)";
  else {
    try {
      const ts = Math.floor(now.getTime() / 1000);
      const headers = await webhookHeaders(secrets, d.id, ts, d.payload);
      statusCode = await postOnce(endpoint.url, headers, d.payload, ctx.outbound);
    } catch (err) {
      failure = connectionFailure(err);
      ctx.deps.log.debug("webhook attempt failed", { deliveryId: d.id, error: errorMessage(err) });
    }
  }
  const common = {
    attempts: d.attempts + 1,
    lastAttemptAt: at,
    lastStatusCode: statusCode,
    lastLatencyMs: Math.round(performance.now() - started),
    updatedAt: at,
  };
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
    await markEndpoint(ctx, endpoint, { failingSince: null });
    return await finish(ctx, d, "delivered", {
      ...common,
      status: "delivered",
      nextAttemptAt: null,
      lastError: null,
      deliveredAt: at,
    });
  }
  const error = failure ?? `Answered HTTP ${statusCode}`;
  if (statusCode === 410) {
    await disable(ctx, endpoint, "gone", "answered 410 Gone");
    return await finish(ctx, d, "gone", {
      ...common,
      status: "failed",
      nextAttemptAt: null,
      lastError: error,
    });
  }
  const failingSince = endpoint.failingSince ?? at;
  if (
    now.getTime() - Date.parse(failingSince) >= ctx.deps.config.webhooks.disableAfterSeconds * 1000
  ) {
    await disable(ctx, endpoint, "failing", `failed every attempt since ${failingSince}`);
  } else if (!endpoint.failingSince) await markEndpoint(ctx, endpoint, { failingSince });
  const last = common.attempts >= maxAttempts;
  return await finish(ctx, d, last ? "failed" : "retrying", {
    ...common,
    status: last ? "failed" : "pending",
    nextAttemptAt: last
      ? null
      : new Date(now.getTime() + retryDelayMs(common.attempts)).toISOString(),
    lastError: error,
  });
}

async function finish(
  ctx: DeliveryContext,
  d: WebhookDelivery,
  outcome: AttemptOutcome,
  patch: Partial<WebhookDelivery>,
): Promise<WebhookDelivery> {
  const settled = await ctx.repo.settle(d, ctx.deps.instanceId, patch);
  // Another instance took the delivery over (this one's lease ran out): its result stands.
  ctx.onAttempt?.(settled ? outcome : "lost");
  return settled ?? (await ctx.repo.deliveries.get(d.organizationId, d.id)) ?? d;
}

async function markEndpoint(
  ctx: DeliveryContext,
  endpoint: WebhookEndpoint,
  patch: Partial<WebhookEndpoint>,
) {
  if (endpoint.failingSince === (patch.failingSince ?? null)) return;
  await ctx.repo.endpoints.update(endpoint.organizationId, endpoint.id, patch);
}

/** Turns the endpoint off (once) and tells the organization's Admins why. */
async function disable(
  ctx: DeliveryContext,
  endpoint: WebhookEndpoint,
  reason: "gone" | "failing",
  why: string,
) {
  const at = ctx.deps.clock.now().toISOString();
  const done = await ctx.repo.endpoints.update(endpoint.organizationId, endpoint.id, {
    active: false,
    disabledReason: reason,
    disabledAt: at,
    updatedAt: at,
  }, { active: true });
  if (!done) return;
  await ctx.changed(endpoint.organizationId);
  const admins = await ctx.deps.store.users.list(endpoint.organizationId, {
    roles: ["Admin"],
    active: true,
  }, { page: 1, limit: 100 });
  for (const admin of admins.data) {
    await ctx.notifications.notify(endpoint.organizationId, admin.id, {
      type: "webhook.disabled",
      title: "Webhook disabled",
      body: `The webhook to ${endpoint.url} was disabled: it ${why}`,
      data: { webhookId: endpoint.id },
    });
  }
}
