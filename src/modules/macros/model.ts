import type { Priority, QueryStatus } from "@/modules/queries/model.ts";

/** One action of a macro, applied to a query in order. */
export type MacroStep =
  | { type: "status"; status: QueryStatus }
  | { type: "priority"; priority: Priority }
  | { type: "labels"; add?: string[]; remove?: string[] }
  | { type: "team"; team: string | null }
  /** A message to the customer in the query's room. */
  | { type: "reply"; text: string }
  /** A private note for staff in the query's room. */
  | { type: "note"; text: string };

/** A saved sequence of actions: the organization's (kept by leads) or one agent's own. */
export interface Macro {
  id: string;
  organizationId: string;
  name: string;
  visibility: "organization" | "personal";
  /** Who made it; for a personal macro, the only one who sees it. */
  ownerId: string;
  steps: MacroStep[];
  createdAt: string;
  updatedAt: string;
}
