import { businessHoursFor } from "@/modules/business_hours/service.ts";
import { isOpenAt } from "@/modules/business_hours/clock.ts";
import { timingSafeEqual } from "node:crypto";
import type { Deps } from "@/deps.ts";
import { AppError, ConflictError } from "@/errors.ts";
import { newUser } from "@/modules/users/repository.ts";
import type { WebInboxService } from "./inboxes.ts";
import { visitorTokenPrefix, type WebInbox, type WebVisitor } from "./model.ts";

/** What a page's widget sends to start or resume its visitor. */
export interface VisitorStart {
  websiteToken: string;
  /** The page's `Origin` header (absent: not a browser, refused). */
  origin: string | undefined;
  visitorToken?: string;
  name?: string;
  email?: string;
  identifier?: string;
  identifierHash?: string;
}

/** What the widget needs: its token, who it is, and the inbox's public settings. */
export interface VisitorSession {
  visitorToken: string;
  contactId: string;
  name: string;
  resumed: boolean;
  inbox: InboxView;
}

/** An inbox as a page on its origins sees it; `open` says whether the desk is open now. */
export type InboxView =
  & Pick<WebInbox, "id" | "name" | "greeting" | "outOfHoursMessage" | "preChat">
  & { open: boolean };

/** Who a valid visitor token is: a Customer contact acting through one web inbox. */
export interface VisitorCaller {
  sessionId: string;
  orgId: string;
  inboxId: string;
  contactId: string;
}

export interface VisitorService {
  /** The inbox's public settings for a page on one of its origins (what the widget shows). */
  settings(websiteToken: string, origin: string | undefined): Promise<VisitorSession["inbox"]>;
  /** Starts a visitor, or resumes one (its token, or a verified identifier). */
  start(input: VisitorStart): Promise<VisitorSession>;
  /** The caller a presented visitor token stands for, or null (unknown, revoked, inbox gone). */
  authenticate(token: string): Promise<VisitorCaller | null>;
  /** Ends the session: its token stops working at once, on every instance. */
  revoke(caller: VisitorCaller): Promise<void>;
  /** The inbox a visitor came by (for routing and its allowed origins). */
  inboxOf(caller: VisitorCaller): Promise<WebInbox | null>;
}

/** Visitor tokens used per minute before 429: a widget needs far fewer. */
const perTokenPerMinute = 120;

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
async function sha256(text: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}
const same = (a: string, b: string) => {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function parseVisitorToken(token: string) {
  const m = /^ccv_([A-Za-z0-9-]{1,64})_([A-Za-z0-9-]{1,64})_([0-9a-f]{64})$/.exec(token);
  return m ? { orgId: m[1]!, sessionId: m[2]!, secret: m[3]! } : null;
}

/**
 * Website visitors: each is a Customer contact of the inbox's organization, made without a
 * password, acting through an opaque token (stored hashed, so revocable) on its own
 * conversations only. A verified identifier joins the contact it names; an email never does.
 */
export function createVisitorService(
  deps: Pick<Deps, "store" | "clock" | "ids" | "shared">,
  inboxes: Pick<WebInboxService, "byWebsiteToken" | "verifyIdentifier">,
): VisitorService {
  const sessions = deps.store.documents("web_visitors");
  const identities = deps.store.documents("web_identities");
  const users = deps.store.users;
  const now = () => deps.clock.now().toISOString();

  async function resumed(inbox: WebInbox, token: string | undefined) {
    const parsed = token ? parseVisitorToken(token) : null;
    if (!parsed || parsed.orgId !== inbox.organizationId) return null;
    const session = await sessions.get(parsed.orgId, parsed.sessionId);
    if (!session || session.inboxId !== inbox.id) return null;
    return same(await sha256(parsed.secret), session.secretHash) ? session : null;
  }

  async function newContact(inbox: WebInbox, input: VisitorStart) {
    const orgId = inbox.organizationId;
    const { preChat } = inbox;
    const name = preChat.name === "off" ? undefined : input.name?.trim() || undefined;
    const email = preChat.email === "off" ? undefined : input.email?.trim().toLowerCase();
    const missing = [
      ...(preChat.name === "required" && !name ? ["name"] : []),
      ...(preChat.email === "required" && !email ? ["email"] : []),
    ];
    if (missing.length) {
      throw new AppError("VALIDATION_FAILED", "Request validation failed", {
        details: missing.map((path) => ({ path, message: "required by this inbox" })),
      });
    }
    const id = deps.ids.next();
    // An email another contact has stays a typed field: the visitor is not that contact.
    const taken = email ? await users.findByEmail(orgId, email) !== null : false;
    const contact = await users.create(newUser({
      id,
      organizationId: orgId,
      name: name ?? "Website visitor",
      email: email && !taken ? email : `visitor-${id}@visitors.invalid`,
      passwordHash: null,
      role: "Customer",
      createdAt: now(),
    }));
    return { contact, typedEmail: email && taken ? email : null };
  }

  async function identified(inbox: WebInbox, input: VisitorStart) {
    if (input.identifier === undefined) return null;
    const hash = input.identifierHash ?? "";
    if (!await inboxes.verifyIdentifier(inbox, input.identifier, hash)) {
      throw new AppError(
        "FORBIDDEN",
        "Identity verification failed: identifierHash does not match",
      );
    }
    const id = await sha256(input.identifier);
    const known = await identities.get(inbox.organizationId, id);
    if (known && await users.findById(inbox.organizationId, known.contactId)) {
      return known.contactId;
    }
    const { contact } = await newContact(inbox, input);
    const record = {
      id,
      organizationId: inbox.organizationId,
      identifier: input.identifier,
      contactId: contact.id,
      createdAt: now(),
    };
    if (known) await identities.update(inbox.organizationId, id, { contactId: contact.id });
    else {
      await identities.insert(record).catch(async (err) => {
        if (!(err instanceof ConflictError)) throw err;
      });
    }
    return (await identities.get(inbox.organizationId, id))?.contactId ?? contact.id;
  }

  async function issue(inbox: WebInbox, contactId: string, typedEmail: string | null) {
    const id = deps.ids.next();
    const secret = hex(crypto.getRandomValues(new Uint8Array(32)));
    const session: WebVisitor = {
      id,
      organizationId: inbox.organizationId,
      inboxId: inbox.id,
      contactId,
      secretHash: await sha256(secret),
      typedEmail,
      createdAt: now(),
    };
    await sessions.insert(session);
    return `${visitorTokenPrefix}${inbox.organizationId}_${id}_${secret}`;
  }

  async function embedded(websiteToken: string, origin: string | undefined) {
    const inbox = await inboxes.byWebsiteToken(websiteToken);
    if (!inbox) throw new AppError("NOT_FOUND", "Unknown website token");
    if (!origin || !inbox.allowedOrigins.includes(origin)) {
      throw new AppError("FORBIDDEN", "This page's origin may not embed this inbox's widget");
    }
    return inbox;
  }
  /**
   * Whether the desk is open now, by the business hours of the inbox's team when it keeps its
   * own, else its organization's (none: always).
   */
  async function openNow(inbox: WebInbox): Promise<boolean> {
    const org = await deps.store.organizations.findById(inbox.organizationId);
    const hours = org ? await businessHoursFor(deps, org, inbox.routeTo.teamId) : null;
    return !hours || isOpenAt(hours, deps.clock.now().getTime());
  }
  const publicView = async (inbox: WebInbox): Promise<InboxView> => ({
    id: inbox.id,
    name: inbox.name,
    greeting: inbox.greeting,
    outOfHoursMessage: inbox.outOfHoursMessage,
    open: await openNow(inbox),
    preChat: inbox.preChat,
  });

  return {
    async settings(websiteToken, origin) {
      return await publicView(await embedded(websiteToken, origin));
    },
    async start(input) {
      const inbox = await embedded(input.websiteToken, input.origin);
      const view = await publicView(inbox);
      const verified = await identified(inbox, input);
      const earlier = await resumed(inbox, input.visitorToken);
      let contactId: string;
      let token: string;
      if (earlier && (verified === null || verified === earlier.contactId)) {
        contactId = earlier.contactId;
        token = input.visitorToken!;
      } else if (verified !== null) {
        contactId = verified;
        token = await issue(inbox, verified, null);
      } else {
        const made = await newContact(inbox, input);
        contactId = made.contact.id;
        token = await issue(inbox, contactId, made.typedEmail);
      }
      const contact = await users.findById(inbox.organizationId, contactId);
      return {
        visitorToken: token,
        contactId,
        name: contact?.name ?? "Website visitor",
        resumed: earlier !== null || verified !== null,
        inbox: view,
      };
    },
    async authenticate(token) {
      const parsed = parseVisitorToken(token);
      if (!parsed) return null;
      const session = await sessions.get(parsed.orgId, parsed.sessionId);
      if (!session || !same(await sha256(parsed.secret), session.secretHash)) return null;
      const [inbox, contact] = await Promise.all([
        deps.store.documents("web_inboxes").get(session.organizationId, session.inboxId),
        users.findById(session.organizationId, session.contactId),
      ]);
      if (!inbox || !contact || !contact.active || contact.mergedInto) return null;
      const { count, resetInMs } = await deps.shared.increment(`rl:visitor:${session.id}`, 60_000);
      if (count > perTokenPerMinute) {
        throw new AppError("RATE_LIMITED", "Too many requests, try again later", {
          headers: { "Retry-After": String(Math.max(1, Math.ceil(resetInMs / 1000))) },
        });
      }
      return {
        sessionId: session.id,
        orgId: session.organizationId,
        inboxId: session.inboxId,
        contactId: session.contactId,
      };
    },
    async revoke(caller) {
      await sessions.delete(caller.orgId, caller.sessionId);
    },
    inboxOf(caller) {
      return deps.store.documents("web_inboxes").get(caller.orgId, caller.inboxId);
    },
  };
}
