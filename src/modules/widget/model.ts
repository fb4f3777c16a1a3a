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
