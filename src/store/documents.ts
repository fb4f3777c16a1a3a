import type { Attachment } from "@/modules/chat/attachments.ts";
import type { Room, RoomRead } from "@/modules/chat/repository.ts";
import type { Mailbox, MailRecord, MailThread, OutgoingReply } from "@/modules/email/model.ts";
import type { FaqEntry } from "@/modules/faq/service.ts";
import type { Macro } from "@/modules/macros/model.ts";
import type { Team } from "@/modules/teams/model.ts";
import type { Notification } from "@/modules/notifications/service.ts";
import type { ReportSnapshot } from "@/modules/reports/service.ts";
import type { Shift } from "@/modules/shifts/service.ts";
import type { CallRecord } from "@/realtime/calls.ts";
import type { CustomField } from "@/modules/custom_fields/service.ts";
import type { WebhookDelivery, WebhookEndpoint } from "@/modules/webhooks/model.ts";
import type { ApiKey } from "@/modules/api_keys/model.ts";
import type { WebIdentity, WebInbox, WebVisitor } from "@/modules/widget/model.ts";
import type { PageRequest, PageResult } from "./types.ts";

/** A small tenant-scoped resource kept as one document (notifications, FAQ entries, shifts). */
export interface TenantDocument {
  id: string;
  organizationId: string;
}

export type Scalar = string | number | boolean | null;

/** Equality on top-level fields; null matches a null or missing field. */
export type Where<T> = { [K in keyof T]?: T[K] extends Scalar ? T[K] : never };

export interface FindOptions<T> {
  where?: Where<T>;
  /** Case-insensitive substring match on any of the fields. */
  text?: { fields: (keyof T & string)[]; value: string };
  /** Array field containing the value. */
  contains?: { field: keyof T & string; value: Scalar };
  sort: [keyof T & string, "asc" | "desc"][];
  page: PageRequest;
}

/**
 * One port for every small resource: both adapters implement it once, so each module's
 * repository is plain code over it. Updates are atomic compare-and-set on `expect`.
 */
export interface Documents<T extends TenantDocument> {
  /** Stores a new document; ConflictError when its id is taken (on either store). */
  insert(doc: T): Promise<T>;
  get(orgId: string, id: string): Promise<T | null>;
  /** Those of the ids that exist in the organization, in one read (in no particular order). */
  getMany(orgId: string, ids: string[]): Promise<T[]>;
  /**
   * Sets the patch only when the stored document matches `expect`; the new state or null.
   * ConflictError when a unique index of the collection refuses it (a team's name key).
   */
  update(orgId: string, id: string, patch: Partial<T>, expect?: Where<T>): Promise<T | null>;
  /** Sets the patch on every document matching `where`; how many changed. */
  updateMany(orgId: string, where: Where<T>, patch: Partial<T>): Promise<number>;
  delete(orgId: string, id: string): Promise<boolean>;
  find(orgId: string, options: FindOptions<T>): Promise<PageResult<T>>;
}

/**
 * Each document collection's type: the one place its shape is named, so a caller cannot read a
 * collection as something else. Each is read and written by its own module.
 */
export interface DocumentTypes {
  notifications: Notification;
  faq: FaqEntry;
  shifts: Shift;
  rooms: Room;
  room_reads: RoomRead;
  calls: CallRecord;
  report_snapshots: ReportSnapshot;
  attachments: Attachment;
  mailboxes: Mailbox;
  mail_records: MailRecord;
  mail_threads: MailThread;
  mail_outbox: OutgoingReply;
  macros: Macro;
  custom_fields: CustomField;
  webhooks: WebhookEndpoint;
  webhook_deliveries: WebhookDelivery;
  api_keys: ApiKey;
  teams: Team;
  web_inboxes: WebInbox;
  web_visitors: WebVisitor;
  web_identities: WebIdentity;
}

/** The names of the document collections, so both adapters agree. */
export const documentCollections = [
  "notifications",
  "faq",
  "shifts",
  "rooms",
  "room_reads",
  "calls",
  "report_snapshots",
  "attachments",
  "mailboxes",
  "mail_records",
  "mail_threads",
  "mail_outbox",
  "macros",
  "custom_fields",
  "webhooks",
  "webhook_deliveries",
  "api_keys",
  "teams",
  "web_inboxes",
  "web_visitors",
  "web_identities",
] as const;
export type DocumentCollection = (typeof documentCollections)[number] & keyof DocumentTypes;

/** Every document matching `where`, oldest first, read a page at a time. */
export async function findAll<T extends TenantDocument>(
  docs: Documents<T>,
  orgId: string,
  where: Where<T>,
): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1;; page++) {
    const got = await docs.find(orgId, {
      where,
      sort: [["id" as keyof T & string, "asc"]],
      page: { page, limit: 500 },
    });
    all.push(...got.data);
    if (got.data.length === 0 || all.length >= got.total) return all;
  }
}
