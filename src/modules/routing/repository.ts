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
  /**
   * When the agent's last connection dropped while they were available, and what they were:
   * a reconnect gives that back; past the grace their queries go back to the queue.
   */
  droppedAt: string | null;
  statusBeforeDrop: Availability | null;
  updatedAt: string;
}

export interface AgentStateRepository {
  /** The state, or a fresh offline one when none is stored. */
  get(orgId: string, userId: string): Promise<AgentState>;
  /** Sets availability (the agent's own choice, so a drop is forgotten); creates the state. */
  setStatus(orgId: string, userId: string, status: Availability, at: string): Promise<AgentState>;
  /**
   * The agent's connection dropped: offline, remembering what they were. Null when they were
   * offline already (nothing to give back).
   */
  markDropped(orgId: string, userId: string, at: string): Promise<AgentState | null>;
  /** A reconnect after a drop: the availability from before it, or null when there was none. */
  restoreDropped(orgId: string, userId: string, at: string): Promise<AgentState | null>;
  /** Agents whose connection dropped before `before` and who have not come back. */
  droppedBefore(orgId: string, before: string): Promise<AgentState[]>;
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
