import { z } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import { notFound } from "@/errors.ts";
import type { Actor } from "@/modules/users/actor.ts";
import { audit } from "@/modules/audit/service.ts";
import type { Organization } from "@/modules/organizations/repository.ts";
import type { Priority } from "./model.ts";
import { addBusinessTime, type BusinessHours } from "@/modules/business_hours/clock.ts";

export const routingPolicies = ["round-robin", "least-loaded", "manual"] as const;
export type RoutingPolicy = (typeof routingPolicies)[number];

const Target = z.object({
  firstResponseMinutes: z.number().int().min(1).max(60 * 24 * 30),
  resolutionMinutes: z.number().int().min(1).max(60 * 24 * 90),
  /** Both targets count the organization's open time only (its business hours), not every hour. */
  businessHoursOnly: z.boolean().optional(),
}).strict();

/** An organization's support settings: how queries are routed and the SLA targets. */
export const SupportSettingsSchema = z.object({
  routing: z.object({
    policy: z.enum(routingPolicies),
    /** An assigned query with no reply after this many minutes goes back to the queue. */
    reassignMinutes: z.number().int().min(1).max(60 * 24),
  }).strict(),
  sla: z.object({
    Low: Target,
    Medium: Target,
    High: Target,
    Urgent: Target,
  }).strict(),
  /** How long before a target the assignee is warned. */
  slaWarnMinutes: z.number().int().min(1).max(60 * 24),
}).strict().openapi("SupportSettings");

export type SupportSettings = z.infer<typeof SupportSettingsSchema>;

export function defaultSupportSettings(): SupportSettings {
  return {
    routing: { policy: "least-loaded", reassignMinutes: 15 },
    sla: {
      Low: { firstResponseMinutes: 480, resolutionMinutes: 4320 },
      Medium: { firstResponseMinutes: 240, resolutionMinutes: 1440 },
      High: { firstResponseMinutes: 60, resolutionMinutes: 480 },
      Urgent: { firstResponseMinutes: 15, resolutionMinutes: 240 },
    },
    slaWarnMinutes: 10,
  };
}

/** The organization's support settings, defaults filled in. */
export function supportSettings(org: Pick<Organization, "settings">): SupportSettings {
  const stored = SupportSettingsSchema.safeParse(org.settings.support);
  return stored.success ? stored.data : defaultSupportSettings();
}

/**
 * SLA due times for a query of `priority` created at `createdAt`. A target kept in business time
 * counts the organization's open hours only, so the SLA job, the due-soon and breached filters
 * and the reports, which all read the stored due times, use that one clock.
 */
export function slaDueTimes(
  settings: SupportSettings,
  priority: Priority,
  createdAt: string,
  hours: BusinessHours | null = null,
): { firstResponseDueAt: string; resolutionDueAt: string } {
  const target = settings.sla[priority];
  const start = Date.parse(createdAt);
  const after = (minutes: number) =>
    new Date(
      hours && target.businessHoursOnly
        ? addBusinessTime(hours, start, minutes * 60_000)
        : start + minutes * 60_000,
    ).toISOString();
  return {
    firstResponseDueAt: after(target.firstResponseMinutes),
    resolutionDueAt: after(target.resolutionMinutes),
  };
}

/** Reads and replaces an organization's support settings, auditing each change. */
export interface SupportSettingsService {
  get(actor: Actor): Promise<SupportSettings>;
  replace(actor: Actor, next: SupportSettings): Promise<SupportSettings>;
}

export function createSupportSettingsService(
  deps: Pick<Deps, "store" | "clock" | "ids" | "log">,
): SupportSettingsService {
  const organization = async (orgId: string) =>
    (await deps.store.organizations.findById(orgId)) ?? (() => {
      throw notFound("Organization", orgId);
    })();
  return {
    async get({ orgId }) {
      return supportSettings(await organization(orgId));
    },
    async replace(actor, next) {
      const org = await organization(actor.orgId);
      await deps.store.organizations.update(
        org.id,
        { settings: { ...org.settings, support: next } },
        deps.clock.now().toISOString(),
      );
      await audit(deps, {
        organizationId: org.id,
        action: "organization.updated",
        actor,
        targetType: "organization",
        targetId: org.id,
        ip: actor.ip ?? null,
        details: { support: { before: supportSettings(org), after: next } },
      });
      return next;
    },
  };
}
