import type { Deps } from "@/deps.ts";
import { AppError } from "@/errors.ts";
import type { Availability, User } from "@/modules/users/repository.ts";
import { isOpen, type Query } from "@/modules/queries/model.ts";
import type { Events } from "@/events.ts";
import { queryHistoryRecorder } from "@/modules/queries/history.ts";
import { type RoutingPolicy, supportSettings } from "@/modules/queries/settings.ts";
import { activeOrganizations } from "@/modules/organizations/repository.ts";
import { teamClockChange } from "@/modules/business_hours/team_clock.ts";
import type { AgentState } from "./repository.ts";

const system = "system";

export interface RoutingService {
  /** Offers a waiting query to the best free agent; the query as it is afterwards. */
  offer(query: Query): Promise<Query>;
  /** Offers waiting queries, in queue order, until no agent can take more. How many landed. */
  drain(orgId: string): Promise<number>;
  /** Gives the query to `agentId` (manual assignment or transfer); 409 when they are full. */
  assignTo(
    query: Query,
    agentId: string,
    actorId: string,
    change: { action: "assigned" | "transferred"; reason?: string | null },
  ): Promise<Query>;
  /** Puts an assigned query back in the queue, frees its agent, then drains the queue. */
  requeue(query: Query, actorId: string, reason: string, team?: string | null): Promise<Query>;
  /** Frees one slot of the agent (their query was resolved), then drains the queue. */
  release(orgId: string, agentId: string): Promise<void>;
  /** Sets availability; online drains the queue, offline hands the agent's queries back. */
  setAvailability(orgId: string, userId: string, status: Availability): Promise<AgentState>;
  /** Clock-in (true) or out; false when already in that state. */
  setShift(orgId: string, userId: string, onShift: boolean): Promise<boolean>;
  /**
   * Someone nobody can reach any more (presence offline): an agent stops taking queries and
   * keeps her own for the reconnect grace.
   */
  unreachable(orgId: string, userId: string): Promise<void>;
  /** Connected again: an agent whose connection dropped gets her availability back. */
  reachable(orgId: string, userId: string): Promise<void>;
  /** Every agent's stored availability, shift and load. */
  states(orgId: string): Promise<AgentState[]>;
  /**
   * The users as the API shows them, with their availability as routing has it: the one
   * source of truth, so user objects and `GET /agents/status` agree.
   */
  withAvailability<
    U extends { id: string; organizationId: string | null; availability: Availability },
  >(
    users: U[],
  ): Promise<U[]>;
  /** Requeues assigned queries nobody replied to within their organization's reassign time. */
  requeueUnanswered(): Promise<number>;
}

/** Agents who may take routed queries. */
const routable = (u: User | null): u is User => u !== null && u.active && u.role === "Agent";

function skillLevel(user: User, skill: string | null): number {
  return skill ? user.skills.find((s) => s.name === skill)?.level ?? 0 : 0;
}

/** Order among qualified agents: higher skill level first, then the policy's own order. */
function rank(policy: RoutingPolicy, skill: string | null) {
  return (a: { user: User; state: AgentState }, b: { user: User; state: AgentState }) =>
    (skillLevel(b.user, skill) - skillLevel(a.user, skill)) ||
    (policy === "least-loaded" ? a.state.load - b.state.load : 0) ||
    (a.state.lastAssignedAt ?? "").localeCompare(b.state.lastAssignedAt ?? "") ||
    a.user.id.localeCompare(b.user.id);
}

export function createRoutingService(
  deps: Pick<Deps, "store" | "clock" | "ids" | "log" | "config"> & { events: Events },
): RoutingService {
  const { store, events } = deps;
  const record = queryHistoryRecorder(deps);
  const now = () => deps.clock.now().toISOString();

  async function candidates(query: Query) {
    const states = await store.agentStates.available(query.organizationId);
    // A query with a team goes to that team's members only.
    const team = query.team
      ? new Set((await store.documents("teams").get(query.organizationId, query.team))?.members)
      : null;
    const found = [];
    for (const state of states) {
      const user = await store.users.findById(query.organizationId, state.userId);
      if (!routable(user) || state.load >= user.maxConcurrentQueries) continue;
      if (query.skill && !user.skills.some((s) => s.name === query.skill)) continue;
      if (team && !team.has(user.id)) continue;
      found.push({ user, state });
    }
    return found;
  }

  /** Reserve a slot, then claim the query; undo the slot when someone else claimed first. */
  async function claim(query: Query, agent: User, actorId: string): Promise<Query | null> {
    const at = now();
    const orgId = query.organizationId;
    if (!await store.agentStates.reserve(orgId, agent.id, agent.maxConcurrentQueries, at)) {
      return null;
    }
    const claimed = await store.queries.update(
      orgId,
      query.id,
      { statuses: ["Open"], assignedTo: null },
      { status: "Assigned", assignedTo: agent.id, assignedAt: at, updatedAt: at },
    );
    if (!claimed) {
      await store.agentStates.release(orgId, agent.id);
      return null;
    }
    await record(claimed, actorId, {
      action: "assigned",
      field: "assignedTo",
      from: null,
      to: agent.id,
    });
    await events.emit("query.assigned", { organizationId: orgId, actorId }, {
      query: claimed,
      previous: null,
      reason: null,
    });
    return claimed;
  }

  async function offer(query: Query): Promise<Query> {
    if (query.status !== "Open" || query.assignedTo) return query;
    const org = await store.organizations.findById(query.organizationId);
    if (!org?.active) return query;
    const policy = supportSettings(org).routing.policy;
    if (policy === "manual") return query;
    const ranked = (await candidates(query)).sort(rank(policy, query.skill));
    for (const { user } of ranked) {
      const claimed = await claim(query, user, system);
      if (claimed) return claimed;
      const current = await store.queries.findById(query.organizationId, query.id);
      if (!current || current.status !== "Open" || current.assignedTo) return current ?? query;
    }
    return query;
  }

  async function drain(orgId: string): Promise<number> {
    let landed = 0;
    const waiting = await store.queries.waiting(orgId, 100);
    for (const query of waiting) {
      if ((await store.agentStates.available(orgId)).length === 0) break;
      if ((await offer(query)).assignedTo) landed++;
    }
    return landed;
  }

  const service: RoutingService = {
    offer,
    drain,
    async assignTo(query, agentId, actorId, change) {
      const orgId = query.organizationId;
      const agent = await store.users.findById(orgId, agentId);
      if (!agent || !agent.active || !["Agent", "TL", "Admin"].includes(agent.role)) {
        throw new AppError("BAD_REQUEST", `User "${agentId}" is not an active agent here`);
      }
      if (query.assignedTo === agentId) return query;
      if (!isOpen(query.status)) {
        throw new AppError("INVALID_TRANSITION", `A ${query.status} query cannot be reassigned`);
      }
      const at = now();
      if (!await store.agentStates.reserve(orgId, agentId, agent.maxConcurrentQueries, at)) {
        throw new AppError(
          "CONFLICT",
          `${agent.name} already holds ${agent.maxConcurrentQueries} queries, their maximum`,
        );
      }
      const updated = await store.queries.update(
        orgId,
        query.id,
        { assignedTo: query.assignedTo, statuses: [query.status] },
        {
          assignedTo: agentId,
          assignedAt: at,
          status: query.status === "Open" ? "Assigned" : query.status,
          updatedAt: at,
        },
      );
      if (!updated) {
        await store.agentStates.release(orgId, agentId);
        throw new AppError("CONFLICT", `${query.reference} changed meanwhile; reload and retry`);
      }
      const reason = change.reason ?? null;
      await record(updated, actorId, {
        action: change.action,
        field: "assignedTo",
        from: query.assignedTo,
        to: agentId,
        reason,
      });
      const where = { organizationId: orgId, actorId };
      const previous = query.assignedTo;
      await (change.action === "transferred"
        ? events.emit("query.transferred", where, {
          query: updated,
          previous,
          to: { agentId },
          reason: reason ?? "",
        })
        : events.emit("query.assigned", where, { query: updated, previous, reason }));
      if (query.assignedTo) await service.release(orgId, query.assignedTo);
      return updated;
    },
    async requeue(query, actorId, reason, team) {
      const orgId = query.organizationId;
      const at = now();
      const updated = await store.queries.update(
        orgId,
        query.id,
        { assignedTo: query.assignedTo, statuses: [query.status] },
        {
          status: "Open",
          assignedTo: null,
          assignedAt: null,
          updatedAt: at,
          ...(team !== undefined ? { team, ...await teamClockChange(deps, query, team, at) } : {}),
        },
      );
      if (!updated) return (await store.queries.findById(orgId, query.id)) ?? query;
      await record(updated, actorId, {
        action: team !== undefined ? "transferred" : "requeued",
        field: team !== undefined ? "team" : "assignedTo",
        from: team !== undefined ? query.team : query.assignedTo,
        to: team !== undefined ? team : null,
        reason,
      });
      const where = { organizationId: orgId, actorId };
      const previous = query.assignedTo;
      await (team !== undefined
        ? events.emit("query.transferred", where, {
          query: updated,
          previous,
          to: { team },
          reason,
        })
        : events.emit("query.requeued", where, { query: updated, previous, reason }));
      if (query.assignedTo) await store.agentStates.release(orgId, query.assignedTo);
      const offered = await offer(updated);
      await drain(orgId);
      return offered;
    },
    async release(orgId, agentId) {
      await store.agentStates.release(orgId, agentId);
      await drain(orgId);
    },
    async setAvailability(orgId, userId, status) {
      const state = await store.agentStates.setStatus(orgId, userId, status, now());
      if (status === "online") await drain(orgId);
      if (status === "offline") await handBack(orgId, userId, "agent went offline");
      return state;
    },
    async setShift(orgId, userId, onShift) {
      const changed = await store.agentStates.setShift(orgId, userId, onShift, now());
      if (changed && onShift) await drain(orgId);
      if (changed && !onShift) await handBack(orgId, userId, "agent clocked out");
      return changed;
    },
    async unreachable(orgId, userId) {
      // Only those with a routing state that is not offline: customers have none to change.
      // Her queries stay hers for the grace; `requeueUnanswered` hands them back after it.
      await store.agentStates.markDropped(orgId, userId, now());
    },
    async reachable(orgId, userId) {
      const restored = await store.agentStates.restoreDropped(orgId, userId, now());
      if (restored?.status === "online") await drain(orgId);
    },
    states: (orgId) => store.agentStates.list(orgId),
    async withAvailability(users) {
      const orgs = [...new Set(users.flatMap((u) => u.organizationId ? [u.organizationId] : []))];
      const status = new Map<string, Availability>();
      for (const orgId of orgs) {
        for (const s of await store.agentStates.list(orgId)) status.set(s.userId, s.status);
      }
      return users.map((u) => ({ ...u, availability: status.get(u.id) ?? "offline" }));
    },
    async requeueUnanswered() {
      let count = 0;
      const graceMs = deps.config.realtime.reconnectGraceSeconds * 1000;
      const droppedBefore = new Date(deps.clock.now().getTime() - graceMs).toISOString();
      for await (const org of activeOrganizations(store.organizations)) {
        for (const state of await store.agentStates.droppedBefore(org.id, droppedBefore)) {
          count += await handBack(org.id, state.userId, "agent went offline");
        }
        const limitMs = supportSettings(org).routing.reassignMinutes * 60_000;
        const before = new Date(deps.clock.now().getTime() - limitMs).toISOString();
        for (const query of await store.queries.unansweredSince(org.id, before, 500)) {
          await service.requeue(query, system, "no reply within the reassign time");
          count++;
        }
      }
      return count;
    },
  };

  /** Requeues every active query of an agent who stopped working; how many. */
  async function handBack(orgId: string, userId: string, reason: string): Promise<number> {
    const active = await store.queries.activeOf(orgId, userId);
    for (const query of active) await service.requeue(query, system, reason);
    return active.length;
  }

  return service;
}
