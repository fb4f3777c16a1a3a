import type { Availability } from "@/modules/users/repository.ts";

/** An agent's live routing state: availability, shift and how many queries they hold. */
export interface AgentState {
  userId: string;
  organizationId: string;
  status: Availability;
  onShift: boolean;
  /** Active (Assigned, In Progress) queries held now. */
  load: number;
  lastAssignedAt: string | null;
  updatedAt: string;
}

export interface AgentStateRepository {
  /** The state, or a fresh offline one when none is stored. */
  get(orgId: string, userId: string): Promise<AgentState>;
  /** Sets availability; creates the state when missing. */
  setStatus(orgId: string, userId: string, status: Availability, at: string): Promise<AgentState>;
  /**
   * Sets `onShift` only when it currently differs (clock-in needs off, clock-out needs on);
   * false when it already had that value.
   */
  setShift(orgId: string, userId: string, onShift: boolean, at: string): Promise<boolean>;
  /** Adds one to the load only while it is below `max`; false when full. Atomic. */
  reserve(orgId: string, userId: string, max: number, at: string): Promise<boolean>;
  /** Takes one from the load (never below zero). */
  release(orgId: string, userId: string): Promise<void>;
  /** Agents online and on shift, least recently assigned first. */
  available(orgId: string): Promise<AgentState[]>;
  /** Every stored state of the organization. */
  list(orgId: string): Promise<AgentState[]>;
}
