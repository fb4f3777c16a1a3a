/** IMAP connection settings of a mailbox; the password is sealed at rest. */
export interface ImapSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  /** AES-GCM sealed password (see secrets.ts); never leaves the service. */
  password: string;
  folder: string;
}

/** SMTP settings for replies from this mailbox; user and password optional (open relays). */
export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  /** Sealed, or null when the server needs no login. */
  password: string | null;
}

/** A support mailbox of an organization: polled by IMAP, answered by SMTP. */
export interface Mailbox {
  id: string;
  organizationId: string;
  name: string;
  email: string;
  imap: ImapSettings;
  smtp: SmtpSettings;
  pollingEnabled: boolean;
  /** The folder's UIDVALIDITY when `lastUid` was taken (a string: imapflow gives a BigInt). */
  uidValidity: string | null;
  /** Highest UID handled; the next poll fetches above it. */
  lastUid: number;
  lastPolledAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** Failures in a row; the backoff doubles with each. */
  failures: number;
  /** Not polled by the job before this time (interval or backoff). */
  nextPollAt: string | null;
  /** The poller holding this mailbox, and until when (a crashed one's lease runs out). */
  leaseOwner: string | null;
  leaseUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * One Message-ID seen by an organization, inbound or sent by us: the import ledger. Its id is
 * derived from the organization and the Message-ID, so a second import of the same mail is a
 * unique-key conflict on either store. It outlives the query (a deleted query stays deleted).
 */
export interface MailRecord {
  id: string;
  organizationId: string;
  messageId: string;
  direction: "in" | "out";
  /** importing (claimed by `owner`), done, or skipped (loops, staff senders, unreadable). */
  state: "importing" | "done" | "skipped";
  owner: string | null;
  mailboxId: string | null;
  queryId: string | null;
  roomId: string | null;
  chatMessageId: string | null;
  reason: string | null;
  /** Imports of it that failed (the last one's error is `reason`); it is skipped after a few. */
  failures: number;
  createdAt: string;
  updatedAt: string;
}

/** The mail side of an email query: where replies go and how they thread. Id = query id. */
export interface MailThread {
  id: string;
  organizationId: string;
  mailboxId: string;
  customerEmail: string;
  subject: string;
  /** Message-IDs of the conversation, oldest first (the References of the next reply). */
  references: string[];
  /** The customer's latest Message-ID: the In-Reply-To of the next reply. */
  lastInboundId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An agent's reply waiting to leave by SMTP. Id = the chat message's id. */
export interface OutgoingReply {
  id: string;
  organizationId: string;
  queryId: string;
  messageId: string;
  status: "queued" | "sent" | "failed";
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}
