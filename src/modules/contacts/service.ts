import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { AppError, ConflictError, notFound } from "@/errors.ts";
import { audit } from "@/modules/audit/service.ts";
import type { TokenService } from "@/modules/auth/tokens.ts";
import type { Message } from "@/modules/chat/repository.ts";
import type { ChatService } from "@/modules/chat/service.ts";
import type { AuditService } from "@/modules/audit/service.ts";
import type { CustomFieldService, CustomValuesInput } from "@/modules/custom_fields/service.ts";
import type { Query } from "@/modules/queries/model.ts";
import type { QueryService } from "@/modules/queries/service.ts";
import { type Actor, can } from "@/modules/users/actor.ts";
import {
  newUser,
  type User,
  type UserFilter,
  type UserPatch,
  type UserSort,
} from "@/modules/users/repository.ts";
import { allPages, type PageRequest, type PageResult } from "@/store/types.ts";
import { knownLabels, labelNamed } from "@/modules/labels/service.ts";
import { type Contact, contactOf, type ContactRecords } from "./model.ts";

export interface NewContact {
  name: string;
  email: string;
  phone?: string | null | undefined;
  customFields?: CustomValuesInput | undefined;
  labels?: string[] | undefined;
}

export type ContactPatch = { [K in keyof NewContact]?: NewContact[K] | undefined };

export interface ContactFilter {
  /** Matched against name, email and phone. */
  text?: string;
  /** A custom field holding this value, as the query string gives it. */
  field?: { key: string; raw: string };
  /** A label's id or name. */
  label?: string;
}

/** Everything stored about a contact, as one document (the GDPR right of access). */
export interface ContactExport {
  exportedAt: string;
  contact: Contact;
  audit: unknown[];
  [section: string]: unknown;
}

export interface ContactService {
  list(
    actor: Actor,
    filter: ContactFilter,
    sort: UserSort,
    page: PageRequest,
  ): Promise<PageResult<Contact>>;
  create(actor: Actor, input: NewContact): Promise<Contact>;
  get(actor: Actor, id: string): Promise<Contact>;
  update(actor: Actor, id: string, patch: ContactPatch): Promise<Contact>;
  /** The contact's queries from every channel that the caller may see, newest first. */
  queries(actor: Actor, id: string, page: PageRequest): Promise<PageResult<Query>>;
  /** Messages across the rooms of those queries, newest first. */
  conversations(actor: Actor, id: string, page: PageRequest): Promise<PageResult<Message>>;
  /** `otherId` becomes part of `id`: its queries, rooms, messages, files and login move. */
  merge(actor: Actor, id: string, otherId: string): Promise<Contact>;
  /**
   * Moves again whatever still belongs to a contact merged into another (a write that raced
   * the merge); nothing when the contact was not merged. Returns who it now is.
   */
  settleMerge(orgId: string, id: string): Promise<User | null>;
  /** The job: completes the merges of the last day that an instance left half-way. */
  settleMerges(): Promise<{ settled: number }>;
  export(actor: Actor, id: string): Promise<ContactExport>;
  /** Erases the contact's personal data and files; the team's records keep a marker. */
  erase(actor: Actor, id: string): Promise<void>;
}

const customers = { roles: ["Customer" as const] };

/** Contacts: an organization's customers, with their history, merge and GDPR rights. */
export function createContactService(
  deps: Pick<Deps, "store" | "files" | "clock" | "ids" | "log"> & { events: Events },
  services: {
    queries: Pick<QueryService, "list" | "customersOf">;
    customFields: Pick<CustomFieldService, "apply" | "filterValue">;
    tokens: Pick<TokenService, "revokeUser">;
    chat: Pick<ChatService, "messagesIn">;
    audit: Pick<AuditService, "list">;
    /** Every module's records of a contact, in the order a merge or erasure visits them. */
    records: ContactRecords[];
  },
): ContactService {
  const { store, events } = deps;
  const users = store.users;
  const now = () => deps.clock.now().toISOString();
  const by = (actor: Actor) => ({ organizationId: actor.orgId, actorId: actor.userId });

  /** The contacts merged into this one, directly or through others merged into it. */
  async function aliasesOf(orgId: string, id: string): Promise<string[]> {
    const merged =
      (await allPages((page) => users.list(orgId, { ...customers, withMerged: true }, page)))
        .filter((u) => u.mergedInto);
    const gone = new Set([id]);
    for (let grew = true; grew;) {
      grew = false;
      for (const u of merged) {
        if (gone.has(u.id) || !gone.has(u.mergedInto!)) continue;
        gone.add(u.id);
        grew = true;
      }
    }
    gone.delete(id);
    return [...gone];
  }

  async function contactRecord(orgId: string, id: string): Promise<User> {
    const user = await users.findById(orgId, id);
    if (!user || user.role !== "Customer" || user.mergedInto) throw notFound("Contact", id);
    return user;
  }

  /** The contact if the caller may see it: an Agent sees those of queries they may see. */
  async function visible(actor: Actor, id: string): Promise<User> {
    const user = await contactRecord(actor.orgId, id);
    if (!can(actor.role, "contacts.oversee")) {
      const served = await services.queries.customersOf(actor);
      if (!served.includes(id)) throw notFound("Contact", id);
    }
    return user;
  }

  async function moveAll(orgId: string, from: string, to: string) {
    for (const records of services.records) await records.move(orgId, from, to);
  }

  async function settleMerge(orgId: string, id: string): Promise<User | null> {
    let user = await users.findById(orgId, id);
    // A chain (A into B, then B into C) ends at the contact that was not merged.
    for (let hops = 0; user?.mergedInto && hops < 10; hops++) {
      await moveAll(orgId, user.id, user.mergedInto);
      user = await users.findById(orgId, user.mergedInto);
    }
    return user;
  }

  async function allQueries(actor: Actor, id: string): Promise<Query[]> {
    const all: Query[] = [];
    for (let page = 1;; page++) {
      const got = await services.queries.list(actor, { customerId: id }, {
        field: "createdAt",
        order: "desc",
      }, { page, limit: 500 });
      all.push(...got.data);
      if (got.data.length === 0 || all.length >= got.total) return all;
    }
  }

  return {
    async list(actor, filter, sort, page) {
      const f: UserFilter = { ...customers };
      if (filter.text) f.text = filter.text;
      if (filter.field) {
        f.customField = await services.customFields.filterValue(
          actor.orgId,
          "contact",
          filter.field.key,
          filter.field.raw,
        );
      }
      if (filter.label !== undefined) {
        // A label the organization does not have matches nothing.
        const label = await labelNamed(deps, actor.orgId, filter.label);
        if (!label) return { data: [], total: 0 };
        f.label = label.id;
      }
      if (!can(actor.role, "contacts.oversee")) f.ids = await services.queries.customersOf(actor);
      const result = await users.list(actor.orgId, f, page, sort);
      return { data: result.data.map(contactOf), total: result.total };
    },

    async create(actor, input) {
      const customFields = await services.customFields.apply(
        actor.orgId,
        "contact",
        {},
        input.customFields ?? {},
      );
      const labels = await knownLabels(deps, actor.orgId, input.labels ?? []);
      const email = input.email.toLowerCase();
      if (await users.findByEmail(actor.orgId, email)) {
        throw new ConflictError(`A contact or colleague with email "${email}" exists`);
      }
      const user = await users.create(newUser({
        id: deps.ids.next(),
        organizationId: actor.orgId,
        name: input.name,
        email,
        passwordHash: null,
        role: "Customer",
        phone: input.phone ?? null,
        customFields,
        labels,
        createdAt: now(),
      }));
      const contact = contactOf(user);
      await audit(deps, {
        organizationId: actor.orgId,
        action: "contact.created",
        actor,
        targetType: "contact",
        targetId: user.id,
        ip: actor.ip ?? null,
      });
      await events.emit("contact.created", by(actor), { contact });
      return contact;
    },

    async get(actor, id) {
      return contactOf(await visible(actor, id));
    },

    async update(actor, id, patch) {
      const user = await visible(actor, id);
      const change: UserPatch = {};
      if (patch.name !== undefined) change.name = patch.name;
      if (patch.email !== undefined) change.email = patch.email.toLowerCase();
      if (patch.phone !== undefined) change.phone = patch.phone;
      if (patch.labels !== undefined) {
        change.labels = await knownLabels(deps, actor.orgId, patch.labels);
      }
      if (patch.customFields !== undefined) {
        change.customFields = await services.customFields.apply(
          actor.orgId,
          "contact",
          user.customFields,
          patch.customFields,
        );
      }
      const fields = Object.keys(change).filter((k) =>
        JSON.stringify(change[k as keyof UserPatch]) !== JSON.stringify(user[k as keyof User])
      );
      if (fields.length === 0) return contactOf(user);
      const updated = await users.update(actor.orgId, id, change, now());
      if (!updated) throw notFound("Contact", id);
      const contact = contactOf(updated);
      await audit(deps, {
        organizationId: actor.orgId,
        action: "contact.updated",
        actor,
        targetType: "contact",
        targetId: id,
        ip: actor.ip ?? null,
        details: { fields },
      });
      await events.emit("contact.updated", by(actor), { contact, fields });
      return contact;
    },

    async queries(actor, id, page) {
      await visible(actor, id);
      return await services.queries.list(actor, { customerId: id }, {
        field: "createdAt",
        order: "desc",
      }, page);
    },

    async conversations(actor, id, page) {
      await visible(actor, id);
      const roomIds = (await allQueries(actor, id)).flatMap((q) => q.roomId ? [q.roomId] : []);
      return await services.chat.messagesIn(actor.orgId, roomIds, page);
    },

    async merge(actor, id, otherId) {
      if (id === otherId) {
        throw new AppError("VALIDATION_FAILED", "A contact cannot be merged into itself", {
          details: [{ path: "otherId", message: "name another contact" }],
        });
      }
      const keep = await contactRecord(actor.orgId, id);
      const other = await users.findById(actor.orgId, otherId);
      if (!other || other.role !== "Customer") throw notFound("Contact", otherId);
      if (other.mergedInto && other.mergedInto !== id) throw notFound("Contact", otherId);
      // The one write that decides: from here the other's address finds this contact, and
      // whatever is still theirs is moved (again, if a write raced this merge).
      if (!other.mergedInto) {
        const marked = await users.update(actor.orgId, otherId, {
          mergedInto: id,
          passwordHash: null,
          active: false,
        }, now());
        if (!marked) throw notFound("Contact", otherId);
        await services.tokens.revokeUser(otherId);
      }
      await moveAll(actor.orgId, otherId, id);
      const patch: UserPatch = {};
      if (!keep.passwordHash && other.passwordHash) patch.passwordHash = other.passwordHash;
      if (!keep.phone && other.phone) patch.phone = other.phone;
      const merged = { ...other.customFields, ...keep.customFields };
      if (JSON.stringify(merged) !== JSON.stringify(keep.customFields)) {
        patch.customFields = merged;
      }
      const labels = [...new Set([...keep.labels, ...other.labels])];
      if (labels.length !== keep.labels.length) patch.labels = labels;
      const updated = Object.keys(patch).length
        ? await users.update(actor.orgId, id, patch, now()) ?? keep
        : keep;
      const contact = contactOf(updated);
      await audit(deps, {
        organizationId: actor.orgId,
        action: "contact.merged",
        actor,
        targetType: "contact",
        targetId: id,
        ip: actor.ip ?? null,
        details: { mergedId: otherId },
      });
      await events.emit("contact.merged", by(actor), { contact, mergedId: otherId });
      return contact;
    },

    settleMerge,

    async settleMerges() {
      const since = new Date(deps.clock.now().getTime() - 24 * 3600_000).toISOString();
      const merged = await users.mergedSince(since, 500);
      for (const user of merged) await settleMerge(user.organizationId!, user.id);
      return { settled: merged.length };
    },

    async export(actor, id) {
      const user = await contactRecord(actor.orgId, id);
      const sections: Record<string, unknown> = {};
      for (const records of services.records) {
        Object.assign(sections, await records.export(actor.orgId, id));
      }
      // Every entry about the contact and by them, however many: read a page at a time.
      const about = await allPages((page) => services.audit.list(actor, { targetId: id }, page));
      const byThem = await allPages((page) => services.audit.list(actor, { actorId: id }, page));
      const auditEntries = [...new Map([...about, ...byThem].map((e) => [e.id, e]))
        .values()].sort((a, b) => a.at.localeCompare(b.at));
      await audit(deps, {
        organizationId: actor.orgId,
        action: "contact.exported",
        actor,
        targetType: "contact",
        targetId: id,
        ip: actor.ip ?? null,
      });
      return {
        exportedAt: now(),
        contact: contactOf(user),
        ...sections,
        audit: auditEntries,
      };
    },

    async erase(actor, id) {
      const user = await contactRecord(actor.orgId, id);
      await services.tokens.revokeUser(id);
      await users.update(actor.orgId, id, { active: false, passwordHash: null }, now());
      for (const records of services.records) await records.erase(actor.orgId, id);
      // Contacts merged into this one (also through a chain: A into B, then B into C) keep its
      // addresses: they go too. All are read before any goes, so no page shifts under the read.
      for (const alias of await aliasesOf(actor.orgId, id)) {
        await users.delete(actor.orgId, alias);
      }
      await users.delete(actor.orgId, id);
      if (user.avatarFileId) await deps.files.delete(user.avatarFileId);
      // Audited without the erased data: only the id of who was erased.
      await audit(deps, {
        organizationId: actor.orgId,
        action: "contact.erased",
        actor,
        targetType: "contact",
        targetId: id,
        ip: actor.ip ?? null,
      });
      await events.emit("contact.erased", by(actor), { contactId: id });
    },
  };
}
