import { z } from "@hono/zod-openapi";
import { textLine } from "@/modules/text.ts";

const Host = z.string().trim().min(1).max(253).regex(
  /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/,
  "expected a host name or IP address",
);
const Port = z.number().int().min(1).max(65535);
const Secret = z.string().min(1).max(500);
const Iso = z.string().openapi({ format: "date-time" });

const ImapBody = z.object({
  host: Host,
  port: Port,
  secure: z.boolean(),
  user: z.string().trim().min(1).max(320),
  password: Secret,
  folder: textLine(200).optional(),
}).strict();

const SmtpBody = z.object({
  host: Host,
  port: Port,
  secure: z.boolean(),
  user: z.string().trim().min(1).max(320).nullable().optional(),
  password: Secret.nullable().optional(),
}).strict();

export const MailboxBody = z.object({
  name: textLine(100),
  email: z.email().max(320),
  imap: ImapBody,
  smtp: SmtpBody,
  pollingEnabled: z.boolean().default(true),
}).strict().openapi("MailboxInput");

export const MailboxPatchBody = z.object({
  name: textLine(100).optional(),
  email: z.email().max(320).optional(),
  imap: ImapBody.partial().strict().optional(),
  smtp: SmtpBody.partial().strict().optional(),
  pollingEnabled: z.boolean().optional(),
}).strict().openapi("MailboxPatch", {
  description:
    "Fields to change; a password left out is kept, an SMTP user or password null clears it",
});

export const MailboxSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  name: z.string(),
  email: z.string(),
  imap: z.object({
    host: z.string(),
    port: z.number().int(),
    secure: z.boolean(),
    user: z.string(),
    folder: z.string(),
    passwordSet: z.boolean(),
  }),
  smtp: z.object({
    host: z.string(),
    port: z.number().int(),
    secure: z.boolean(),
    user: z.string().nullable(),
    passwordSet: z.boolean(),
  }),
  pollingEnabled: z.boolean(),
  uidValidity: z.string().nullable(),
  lastUid: z.number().int(),
  lastPolledAt: Iso.nullable(),
  lastSuccessAt: Iso.nullable(),
  lastError: z.string().nullable().openapi({ description: "The last failure, in words" }),
  lastErrorAt: Iso.nullable(),
  failures: z.number().int().openapi({ description: "Failures in a row (0 once it works)" }),
  nextPollAt: Iso.nullable().openapi({ description: "Not polled before (interval or backoff)" }),
  createdAt: Iso,
  updatedAt: Iso,
}).openapi("Mailbox");

const Check = z.object({ ok: z.boolean(), error: z.string().nullable() });
export const TestResultSchema = z.object({ imap: Check, smtp: Check }).openapi("MailboxTest");

export const PollReportSchema = z.object({
  mailboxId: z.string(),
  status: z.enum(["ok", "busy", "failed"]),
  imported: z.array(z.object({
    status: z.enum(["created", "appended", "duplicate", "skipped", "busy"]),
    messageId: z.string(),
    queryId: z.string().optional(),
    reference: z.string().optional(),
    reason: z.string().optional(),
  })),
  error: z.string().nullable(),
}).openapi("MailboxPoll");

export const IdParam = z.object({ id: z.string().min(1).max(64) });
