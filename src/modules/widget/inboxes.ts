import { timingSafeEqual } from "node:crypto";
import type { Config } from "@/config.ts";
import type { Deps } from "@/deps.ts";
import { notFound } from "@/errors.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import { findAll } from "@/store/documents.ts";
import type { Actor } from "@/modules/users/actor.ts";
import { audit } from "@/modules/audit/service.ts";
import { encryptionKey, type SecretBox, secretBox } from "@/modules/email/secrets.ts";
import { teamIdOf } from "@/modules/teams/model.ts";
import { type WebInbox, websiteTokenPrefix } from "./model.ts";

/** An inbox as the API shows it: never its sealed secret. */
export type WebInboxView = Omit<WebInbox, "hmacSecretSealed">;

export type WebInboxInput = Pick<
  WebInbox,
  "name" | "allowedOrigins" | "greeting" | "outOfHoursMessage" | "preChat" | "routeTo"
>;

/** A change: nested settings change only the fields they name. */
export type WebInboxPatchInput =
  & Partial<Omit<WebInboxInput, "preChat" | "routeTo">>
  & { preChat?: Partial<WebInbox["preChat"]>; routeTo?: Partial<WebInbox["routeTo"]> };

export interface WebInboxService {
  list(orgId: string, page: PageRequest): Promise<PageResult<WebInboxView>>;
  get(orgId: string, id: string): Promise<WebInboxView>;
  /** A new inbox; its identity-verification secret is in this answer only. */
  create(by: Actor, input: WebInboxInput): Promise<WebInboxView & { hmacSecret: string }>;
  update(by: Actor, id: string, patch: WebInboxPatchInput): Promise<WebInboxView>;
  remove(by: Actor, id: string): Promise<void>;
  /** The names of the inboxes that route to a team (a team they route to cannot be removed). */
  routingTo(orgId: string, teamId: string): Promise<string[]>;
  /** The inbox a public website token names, or null (unknown, removed, malformed). */
  byWebsiteToken(token: string): Promise<WebInbox | null>;
  /** Whether `hash` is HMAC-SHA256(identifier) under the inbox's secret (hex, any case). */
  verifyIdentifier(inbox: WebInbox, identifier: string, hash: string): Promise<boolean>;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** HMAC-SHA256 of the text under the key, as hex: what the website computes for a user id. */
export async function hmacHex(key: string, text: string): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return hex(new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(text))));
}

/** `ccw_<orgId>_<inboxId>_<random>`, or null when the text is not shaped so. */
function parseWebsiteToken(token: string) {
  const m = /^ccw_([A-Za-z0-9-]{1,64})_([A-Za-z0-9-]{1,64})_([0-9a-f]{32})$/.exec(token);
  return m ? { orgId: m[1]!, inboxId: m[2]! } : null;
}

export function webInboxView({ hmacSecretSealed: _s, ...view }: WebInbox): WebInboxView {
  return view;
}

/** Web inboxes: an Admin's website chat channels, and what the widget's visitors start from. */
export function createWebInboxService(
  deps: Pick<Deps, "store" | "clock" | "ids" | "log"> & {
    config: Pick<Config, "encryptionKey" | "dataDir">;
  },
): WebInboxService {
  const docs = deps.store.documents("web_inboxes");
  let boxPromise: Promise<SecretBox> | undefined;
  const box = () => boxPromise ??= encryptionKey(deps.config).then(secretBox);
  const record = (by: Actor, action: "created" | "updated" | "removed", inbox: WebInbox) =>
    audit(deps, {
      organizationId: inbox.organizationId,
      action: `web_inbox.${action}`,
      actor: by,
      targetType: "web_inbox",
      targetId: inbox.id,
      ip: by.ip ?? null,
      details: { name: inbox.name, allowedOrigins: inbox.allowedOrigins },
    });
  /** The team routed to, by id (or name), checked: 422 with the field for an unknown one. */
  const routeTeam = (orgId: string, teamId: string | null) =>
    teamIdOf(deps, orgId, teamId, "routeTo.teamId");
  const found = async (orgId: string, id: string) =>
    (await docs.get(orgId, id)) ?? (() => {
      throw notFound("Web inbox", id);
    })();
  return {
    async list(orgId, page) {
      const r = await docs.find(orgId, { sort: [["createdAt", "asc"]], page });
      return { data: r.data.map(webInboxView), total: r.total };
    },
    async get(orgId, id) {
      return webInboxView(await found(orgId, id));
    },
    async create(by, input) {
      const teamId = await routeTeam(by.orgId, input.routeTo.teamId);
      const id = deps.ids.next();
      const at = deps.clock.now().toISOString();
      const hmacSecret = hex(crypto.getRandomValues(new Uint8Array(32)));
      const random = hex(crypto.getRandomValues(new Uint8Array(16)));
      const stored = await docs.insert({
        id,
        organizationId: by.orgId,
        ...input,
        routeTo: { ...input.routeTo, teamId },
        allowedOrigins: [...new Set(input.allowedOrigins)],
        websiteToken: `${websiteTokenPrefix}${by.orgId}_${id}_${random}`,
        hmacSecretSealed: await (await box()).seal(hmacSecret, id),
        createdBy: by.userId,
        createdAt: at,
        updatedAt: at,
      });
      await record(by, "created", stored);
      return { ...webInboxView(stored), hmacSecret };
    },
    async update(by, id, patch) {
      const current = await found(by.orgId, id);
      const { preChat, routeTo, allowedOrigins, ...rest } = patch;
      const next: Partial<WebInbox> = { ...rest, updatedAt: deps.clock.now().toISOString() };
      if (allowedOrigins) next.allowedOrigins = [...new Set(allowedOrigins)];
      if (preChat) next.preChat = { ...current.preChat, ...preChat };
      if (routeTo) {
        next.routeTo = { ...current.routeTo, ...routeTo };
        if (routeTo.teamId !== undefined) {
          next.routeTo.teamId = await routeTeam(by.orgId, routeTo.teamId);
        }
      }
      const updated = await docs.update(by.orgId, id, next);
      if (!updated) throw notFound("Web inbox", id);
      await record(by, "updated", updated);
      return webInboxView(updated);
    },
    async remove(by, id) {
      const stored = await found(by.orgId, id);
      if (!await docs.delete(by.orgId, id)) throw notFound("Web inbox", id);
      await record(by, "removed", stored);
    },
    async routingTo(orgId, teamId) {
      return (await findAll(docs, orgId, {}))
        .filter((inbox) => inbox.routeTo.teamId === teamId).map((inbox) => inbox.name);
    },
    async byWebsiteToken(token) {
      const parsed = parseWebsiteToken(token);
      if (!parsed) return null;
      const inbox = await docs.get(parsed.orgId, parsed.inboxId);
      if (!inbox) return null;
      const a = new TextEncoder().encode(inbox.websiteToken);
      const b = new TextEncoder().encode(token);
      return a.length === b.length && timingSafeEqual(a, b) ? inbox : null;
    },
    async verifyIdentifier(inbox, identifier, hash) {
      const secret = await (await box()).open(inbox.hmacSecretSealed, inbox.id);
      const want = new TextEncoder().encode(await hmacHex(secret, identifier));
      const given = new TextEncoder().encode(hash.toLowerCase());
      return want.length === given.length && timingSafeEqual(want, given);
    },
  };
}
