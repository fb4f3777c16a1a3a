import { z } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { notFound } from "@/errors.ts";
import type { Actor } from "@/modules/users/actor.ts";
import { audit } from "@/modules/audit/service.ts";
import type { ChatService } from "@/modules/chat/service.ts";
import type { Organization } from "@/modules/organizations/repository.ts";
import { type BusinessHours, isOpenAt, weekdays } from "./clock.ts";

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const Time = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, "a time as HH:MM");
const Span = z.object({ from: Time, to: Time }).strict()
  .refine((s) => s.from < s.to, "from before to");
const Spans = z.array(Span).max(6);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), "a real date");

/** An organization's business hours and its out-of-hours reply. */
export const BusinessHoursSchema = z.object({
  timezone: z.string().min(1).max(64).refine(validZone, "an IANA time zone"),
  weekly: z.object(Object.fromEntries(weekdays.map((d) => [d, Spans.optional()]))).strict(),
  exceptions: z.array(
    z.object({ date: Day, name: z.string().max(100).optional(), hours: Spans }).strict(),
  ).max(400),
  /** Posted in the room of a query that arrives out of hours; null for none. */
  outOfHoursReply: z.string().min(1).max(2000).nullable(),
}).strict().openapi("BusinessHours");

export type BusinessHoursSettings = BusinessHours & { outOfHoursReply: string | null };

/** The organization's business hours, or null when it keeps none (every hour counts). */
export function businessHoursOf(org: Pick<Organization, "settings">): BusinessHoursSettings | null {
  const stored = BusinessHoursSchema.safeParse(org.settings.businessHours);
  return stored.success ? stored.data as BusinessHoursSettings : null;
}

/**
 * The business hours a query of the team keeps: the team's own when it has them (its
 * out-of-hours reply, when it sets none, the organization's), else the organization's.
 */
export async function businessHoursFor(
  deps: Pick<Deps, "store">,
  org: Pick<Organization, "id" | "settings">,
  teamId: string | null,
): Promise<BusinessHoursSettings | null> {
  const own = businessHoursOf(org);
  if (!teamId) return own;
  const team = await deps.store.documents("teams").get(org.id, teamId);
  const parsed = BusinessHoursSchema.safeParse(team?.businessHours);
  if (!parsed.success) return own;
  const hours = parsed.data as BusinessHoursSettings;
  return { ...hours, outOfHoursReply: hours.outOfHoursReply ?? own?.outOfHoursReply ?? null };
}

export interface BusinessHoursService {
  get(actor: Actor): Promise<BusinessHoursSettings | null>;
  /** Replaces them (null: none), auditing the change. */
  replace(actor: Actor, next: BusinessHoursSettings | null): Promise<BusinessHoursSettings | null>;
}

export function createBusinessHoursService(
  deps: Pick<Deps, "store" | "clock" | "ids" | "log">,
): BusinessHoursService {
  const organization = async (orgId: string) =>
    (await deps.store.organizations.findById(orgId)) ?? (() => {
      throw notFound("Organization", orgId);
    })();
  return {
    async get({ orgId }) {
      return businessHoursOf(await organization(orgId));
    },
    async replace(actor, next) {
      const org = await organization(actor.orgId);
      await deps.store.organizations.update(
        org.id,
        { settings: { ...org.settings, businessHours: next } },
        deps.clock.now().toISOString(),
      );
      await audit(deps, {
        organizationId: org.id,
        action: "organization.updated",
        actor,
        targetType: "organization",
        targetId: org.id,
        ip: actor.ip ?? null,
        details: { businessHours: { before: businessHoursOf(org), after: next } },
      });
      return next;
    },
  };
}

/**
 * A query that arrives out of hours (its team's, when the team keeps its own) gets the
 * out-of-hours reply in its room.
 */
export function replyOutOfHours(
  events: Events,
  deps: Pick<Deps, "store">,
  chat: Pick<ChatService, "system">,
): void {
  events.on("query.created", async ({ data: { query } }) => {
    if (!query.roomId) return;
    const org = await deps.store.organizations.findById(query.organizationId);
    const hours = org ? await businessHoursFor(deps, org, query.team) : null;
    if (!hours?.outOfHoursReply || isOpenAt(hours, Date.parse(query.createdAt))) return;
    await chat.system(query.organizationId, query.roomId, hours.outOfHoursReply, undefined, {
      clientMessageId: `out-of-hours:${query.id}`,
    });
  });
}
