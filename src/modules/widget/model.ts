/** Whether the widget's pre-chat form asks for a field, and whether it must be filled. */
export const preChatModes = ["off", "optional", "required"] as const;
export type PreChatMode = (typeof preChatModes)[number];

/** A website chat channel of one organization, embedded by the sites it allows. */
export interface WebInbox {
  id: string;
  organizationId: string;
  name: string;
  /** The page origins (`https://shop.example`) allowed to embed the widget and start visitors. */
  allowedOrigins: string[];
  greeting: string | null;
  outOfHoursMessage: string | null;
  preChat: { name: PreChatMode; email: PreChatMode };
  /** Where its chats route: a team id and/or an agent skill (null: the organization's queue). */
  routeTo: { teamId: string | null; skill: string | null };
  /** Public: the snippet carries it; it names the inbox, it grants nothing by itself. */
  websiteToken: string;
  /** The identity-verification secret, sealed (AES-GCM) with the inbox id as its context. */
  hmacSecretSealed: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** Every website token starts so, then names its organization and inbox. */
export const websiteTokenPrefix = "ccw_";

/** One widget visitor's session: its token's hash, the contact it acts as, the inbox it came by. */
export interface WebVisitor {
  id: string;
  organizationId: string;
  inboxId: string;
  contactId: string;
  /** SHA-256 (hex) of the token's secret part; the token itself is never stored. */
  secretHash: string;
  /** What the visitor typed as email when another contact has it: a field, never a join. */
  typedEmail: string | null;
  createdAt: string;
}

/** A website's own user id, verified once, joined to the contact it stands for. */
export interface WebIdentity {
  /** SHA-256 (hex) of the identifier, so one lookup finds it on either store. */
  id: string;
  organizationId: string;
  identifier: string;
  contactId: string;
  createdAt: string;
}

/** Every visitor token starts so, then names its organization and session. */
export const visitorTokenPrefix = "ccv_";
