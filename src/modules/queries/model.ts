import type { CustomValue } from "@/modules/users/repository.ts";
/** The ticket lifecycle and its vocabulary: one place for every rule about states. */
export const queryStatuses = ["Open", "Assigned", "In Progress", "Resolved", "Closed"] as const;
export type QueryStatus = (typeof queryStatuses)[number];

/** The statuses of a query still being worked: it counts against its agent and its SLA runs. */
export const openStatuses = [
  "Open",
  "Assigned",
  "In Progress",
] as const satisfies readonly QueryStatus[];

export function isOpen(status: QueryStatus): boolean {
  return (openStatuses as readonly QueryStatus[]).includes(status);
}

/** The two SLA targets of a query, and how people read them. */
export type SlaTarget = "firstResponse" | "resolution";
export const slaTargetNames: Record<SlaTarget, string> = {
  firstResponse: "first response",
  resolution: "resolution",
};

export const priorities = ["Low", "Medium", "High", "Urgent"] as const;
export type Priority = (typeof priorities)[number];

export const sources = ["Chat", "Email", "Manual"] as const;
export type QuerySource = (typeof sources)[number];

/** Who the query waits on; the SLA clock stops while it waits on the customer. */
export type WaitingOn = "agent" | "customer";

/** Higher is more urgent; the queue drains by rank, then age. */
export const priorityRank: Record<Priority, number> = { Low: 1, Medium: 2, High: 3, Urgent: 4 };

/** Open → Assigned → In Progress → Resolved → Closed; Resolved may reopen to In Progress. */
export const transitions: Record<QueryStatus, readonly QueryStatus[]> = {
  "Open": ["Assigned"],
  "Assigned": ["In Progress"],
  "In Progress": ["Resolved"],
  "Resolved": ["Closed", "In Progress"],
  "Closed": [],
};

export function canTransition(from: QueryStatus, to: QueryStatus): boolean {
  return transitions[from].includes(to);
}

/** `Q-000123`: the readable id, per organization, never reused. */
export function queryReference(n: number): string {
  return `Q-${String(n).padStart(6, "0")}`;
}

/** The number a readable reference names (`Q-000123`, `q-123` → 123); null when it is none. */
export function queryNumberOf(reference: string): number | null {
  const m = /^Q-(\d{1,15})$/i.exec(reference);
  if (!m) return null;
  const n = Number(m[1]); // at most 15 digits: always a safe integer
  return n > 0 ? n : null;
}

export interface Csat {
  rating: number;
  comment: string | null;
  ratedAt: string;
}

/** A customer's question or problem, from chat, email or entered by staff. */
export interface Query {
  id: string;
  organizationId: string;
  number: number;
  reference: string;
  title: string;
  description: string;
  status: QueryStatus;
  priority: Priority;
  priorityRank: number;
  source: QuerySource;
  customerId: string;
  assignedTo: string | null;
  team: string | null;
  /** The skill (category) an agent needs to take it. */
  skill: string | null;
  tags: string[];
  roomId: string | null;
  waitingOn: WaitingOn;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  assignedAt: string | null;
  firstResponseAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  firstResponseDueAt: string | null;
  resolutionDueAt: string | null;
  /** Set while the SLA clock is stopped (waiting on the customer). */
  slaPausedAt: string | null;
  firstResponseWarnedAt: string | null;
  resolutionWarnedAt: string | null;
  firstResponseBreachedAt: string | null;
  resolutionBreachedAt: string | null;
  breached: boolean;
  csat: Csat | null;
  /** Values of the organization's query fields, by field key. */
  customFields: Record<string, CustomValue>;
}

/** One change to a query: who, when, what moved from where to where, and why. */
export interface QueryHistoryEntry {
  id: string;
  organizationId: string;
  queryId: string;
  /** A user id, or "system" for routing, SLA and mail jobs. */
  actorId: string;
  action:
    | "created"
    | "edited"
    | "status"
    | "priority"
    | "assigned"
    | "unassigned"
    | "transferred"
    | "requeued"
    | "sla-warning"
    | "sla-breach"
    | "csat"
    | "customer-merged";
  field: string | null;
  from: unknown;
  to: unknown;
  reason: string | null;
  at: string;
}
