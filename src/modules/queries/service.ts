import type { CustomFieldService, CustomValuesInput } from "@/modules/custom_fields/service.ts";
import type { Deps } from "@/deps.ts";
import { AppError, notFound } from "@/errors.ts";
import type { User } from "@/modules/users/repository.ts";
import { type Actor, can } from "@/modules/users/actor.ts";
import type { RoutingService } from "@/modules/routing/service.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import {
  canTransition,
  type Priority,
  priorityRank,
  type Query,
  type QueryHistoryEntry,
  queryNumberOf,
  queryReference,
  type QuerySource,
  type QueryStatus,
  transitions,
  type WaitingOn,
} from "./model.ts";
import type { QueryFilter, QueryPatch, QuerySort } from "./repository.ts";
import type { Events } from "@/events.ts";
import { queryHistoryRecorder } from "./history.ts";
import type { ChatService } from "@/modules/chat/service.ts";
import { slaDueTimes, type SupportSettings, supportSettings } from "./settings.ts";
import { knownLabels, labelNamed } from "@/modules/labels/service.ts";
import { teamIdOf, teamNamed } from "@/modules/teams/model.ts";
import { businessHoursFor } from "@/modules/business_hours/service.ts";
import { teamClockChange } from "@/modules/business_hours/team_clock.ts";
import {
  addBusinessTime,
  type BusinessHours,
  businessTimeBetween,
} from "@/modules/business_hours/clock.ts";

export interface NewQuery {
  title: string;
  description: string;
  priority?: Priority;
  source?: QuerySource;
  /** Required when staff enter a query for a customer; a Customer's own is implied. */
  customerId?: string;
  skill?: string | null;
  team?: string | null;
  tags?: string[];
  customFields?: CustomValuesInput;
  /** Label ids from the organization's set; staff only. */
  labels?: string[];
}

export interface QueryEdit {
  title?: string;
  description?: string;
  tags?: string[];
  labels?: string[];
  skill?: string | null;
  team?: string | null;
  waitingOn?: WaitingOn;
  customFields?: CustomValuesInput;
}

/** A list's filter as a request gives it: a custom field's value is still text. */
export type QueryListFilter = QueryFilter & { field?: { key: string; raw: string } };

/** A query as its caller sees it: a waiting one also says where it stands in the queue. */
export type QueryView = Query & { queuePosition: number | null };

export interface QueryService {
  create(actor: Actor, input: NewQuery): Promise<Query>;
  get(actor: Actor, id: string): Promise<QueryView>;
  list(
    actor: Actor,
    filter: QueryListFilter,
    sort: QuerySort,
    page: PageRequest,
  ): Promise<PageResult<Query>>;
  /** The customers of the queries the caller may see (the contacts an agent serves). */
  customersOf(actor: Actor): Promise<string[]>;
  edit(actor: Actor, id: string, edit: QueryEdit): Promise<Query>;
  setStatus(actor: Actor, id: string, status: QueryStatus, reason?: string): Promise<Query>;
  setPriority(actor: Actor, id: string, priority: Priority, reason?: string): Promise<Query>;
  assign(actor: Actor, id: string, agentId: string, reason?: string): Promise<Query>;
  transfer(
    actor: Actor,
    id: string,
    to: { agentId?: string; team?: string },
    reason: string,
  ): Promise<Query>;
  history(actor: Actor, id: string, page: PageRequest): Promise<PageResult<QueryHistoryEntry>>;
  rate(actor: Actor, id: string, rating: number, comment?: string): Promise<Query>;
  /**
   * Records the first reply of staff (from chat or mail): stops the first-response clock. `known`
   * is the query as read just before the reply was stored, when the caller has it: a query whose
   * first response is recorded already is then not read again (the write checks it anyway).
   */
  responded(orgId: string, id: string, at: string, known?: Query | null): Promise<void>;
  /** The customer wrote: a query waiting on them waits on the agent again (its SLA clock runs). */
  customerReplied(orgId: string, id: string): Promise<void>;
}

export function createQueryService(
  deps: Pick<Deps, "store" | "clock" | "ids"> & { events: Events },
  { routing, chat, customFields }: {
    routing: RoutingService;
    chat: Pick<ChatService, "openQueryRoom" | "discardQueryRoom">;
    customFields: Pick<CustomFieldService, "apply" | "filterValue">;
  },
): QueryService {
  const { store, events } = deps;
  const record = queryHistoryRecorder(deps);
  const by = (actor: Actor) => ({ organizationId: actor.orgId, actorId: actor.userId });
  const now = () => deps.clock.now().toISOString();

  async function agentSkills(actor: Actor): Promise<string[]> {
    const me = await store.users.findById(actor.orgId, actor.userId);
    return me?.skills.map((s) => s.name) ?? [];
  }

  /** By id, or by readable reference (`Q-000123`), in the caller's organization only. */
  async function find(orgId: string, idOrReference: string): Promise<Query | null> {
    // Ids are UUIDs, so anything shaped like a reference is one: a single lookup either way.
    const number = queryNumberOf(idOrReference);
    return number === null
      ? await store.queries.findById(orgId, idOrReference)
      : await store.queries.findByNumber(orgId, number);
  }

  /** The query if the caller may see it; 404 otherwise, so nothing leaks. */
  async function visible(actor: Actor, id: string): Promise<Query> {
    const query = await find(actor.orgId, id);
    if (!query) throw notFound("Query", id);
    if (actor.role === "Customer" && query.customerId !== actor.userId) {
      throw notFound("Query", id);
    }
    if (actor.role === "Agent" && query.assignedTo !== actor.userId) {
      const waiting = query.status === "Open" && query.assignedTo === null;
      if (!waiting || (query.skill && !(await agentSkills(actor)).includes(query.skill))) {
        throw notFound("Query", id);
      }
    }
    return query;
  }

  /** Agents act on their own queries; leads and admins on any. */
  function mayWork(actor: Actor, query: Query): void {
    if (actor.role === "Agent" && query.assignedTo !== actor.userId) {
      throw new AppError("FORBIDDEN", `${query.reference} is not assigned to you`);
    }
    if (!can(actor.role, "queries.work")) {
      throw new AppError("FORBIDDEN", `Role ${actor.role} may not change queries`);
    }
  }

  async function customerOf(actor: Actor, customerId: string | undefined): Promise<User> {
    const id = actor.role === "Customer" ? actor.userId : customerId;
    if (!id) {
      throw new AppError("VALIDATION_FAILED", "Request validation failed", {
        details: [{ path: "customerId", message: "required when staff create a query" }],
      });
    }
    const customer = await store.users.findById(actor.orgId, id);
    if (!customer || customer.role !== "Customer") {
      throw new AppError("VALIDATION_FAILED", "Request validation failed", {
        details: [{ path: "customerId", message: `no customer "${id}" in this organization` }],
      });
    }
    return customer;
  }

  /** Labels a caller sets: staff only, each from the organization's set (else 422). */
  async function labelsFor(actor: Actor, ids: string[] | undefined) {
    if (ids === undefined) return undefined;
    if (actor.role === "Customer") {
      throw new AppError("FORBIDDEN", "Customers may not label queries");
    }
    return await knownLabels(deps, actor.orgId, ids);
  }

  /** Applies a change only if the query is still as read; 409 when someone changed it first. */
  async function change(query: Query, patch: QueryPatch): Promise<Query> {
    const updated = await store.queries.update(
      query.organizationId,
      query.id,
      { statuses: [query.status], assignedTo: query.assignedTo },
      { ...patch, updatedAt: now() },
    );
    if (!updated) {
      throw new AppError("CONFLICT", `${query.reference} changed meanwhile; reload and retry`);
    }
    return updated;
  }

  /** The business hours a paused query's targets resume on, when its priority counts them. */
  async function businessClock(query: Query): Promise<BusinessHours | null> {
    if (!query.slaPausedAt) return null;
    const org = await store.organizations.findById(query.organizationId);
    if (!org || !supportSettings(org).sla[query.priority].businessHoursOnly) return null;
    return await businessHoursFor(deps, org, query.team);
  }

  const service: QueryService = {
    async create(actor, input) {
      const customer = await customerOf(actor, input.customerId);
      const labels = await labelsFor(actor, input.labels);
      const team = await teamIdOf(deps, actor.orgId, input.team ?? null);
      const org = await store.organizations.findById(actor.orgId);
      if (!org) throw notFound("Organization", actor.orgId);
      const priority = input.priority ?? "Medium";
      const fields = await customFields.apply(actor.orgId, "query", {}, input.customFields ?? {});
      const createdAt = now();
      const number = await store.counters.next(actor.orgId, "query");
      const id = deps.ids.next();
      // The query's conversation is its room, made with it: the room first (the query names
      // it), and gone again if the query cannot be stored.
      const room = await chat.openQueryRoom({
        id: deps.ids.next(),
        organizationId: actor.orgId,
        queryId: id,
        customerId: customer.id,
        title: `${queryReference(number)} ${input.title}`,
        createdBy: actor.userId,
        createdAt,
      });
      const query = await store.queries.create({
        id,
        organizationId: actor.orgId,
        number,
        reference: queryReference(number),
        title: input.title,
        description: input.description,
        status: "Open",
        priority,
        priorityRank: priorityRank[priority],
        source: input.source ?? (actor.role === "Customer" ? "Chat" : "Manual"),
        customerId: customer.id,
        assignedTo: null,
        team,
        skill: input.skill ?? null,
        tags: [...new Set(input.tags ?? [])],
        labels: labels ?? [],
        roomId: room.id,
        waitingOn: "agent",
        createdBy: actor.userId,
        createdAt,
        updatedAt: createdAt,
        assignedAt: null,
        firstResponseAt: null,
        resolvedAt: null,
        closedAt: null,
        ...slaDueTimes(
          supportSettings(org),
          priority,
          createdAt,
          await businessHoursFor(deps, org, team),
        ),
        slaPausedAt: null,
        firstResponseWarnedAt: null,
        resolutionWarnedAt: null,
        firstResponseBreachedAt: null,
        resolutionBreachedAt: null,
        breached: false,
        csat: null,
        customFields: fields,
      }).catch(async (err) => {
        await chat.discardQueryRoom(actor.orgId, room.id);
        throw err;
      });
      await record(query, actor.userId, { action: "created", to: "Open" });
      await events.emit("query.created", by(actor), { query });
      return await routing.offer(query);
    },

    async get(actor, id) {
      const query = await visible(actor, id);
      // The place in the queue is the customer's to see; staff read the queue itself.
      const waiting = query.status === "Open" && query.assignedTo === null;
      const ask = waiting && actor.role === "Customer";
      return {
        ...query,
        queuePosition: ask ? await store.queries.positionInQueue(actor.orgId, query) : null,
      };
    },

    async list(actor, { field, ...filter }, sort, page) {
      const scoped: QueryFilter = { ...filter };
      if (field) {
        scoped.customField = await customFields.filterValue(
          actor.orgId,
          "query",
          field.key,
          field.raw,
        );
      }
      if (filter.label !== undefined) {
        // By id or name; a label the organization does not have matches nothing.
        const label = await labelNamed(deps, actor.orgId, filter.label);
        if (!label) return { data: [], total: 0 };
        scoped.label = label.id;
      }
      if (filter.team !== undefined) {
        // By id or name, as labels are.
        const team = await teamNamed(deps, actor.orgId, filter.team);
        if (!team) return { data: [], total: 0 };
        scoped.team = team.id;
      }
      if (actor.role === "Customer") scoped.customerId = actor.userId;
      if (actor.role === "Agent") {
        scoped.agentView = { userId: actor.userId, skills: await agentSkills(actor) };
      }
      return await store.queries.list(actor.orgId, scoped, sort, page);
    },

    async customersOf(actor) {
      if (actor.role === "Customer") return [actor.userId];
      const scoped: QueryFilter = actor.role === "Agent"
        ? { agentView: { userId: actor.userId, skills: await agentSkills(actor) } }
        : {};
      return await store.queries.customerIds(actor.orgId, scoped);
    },

    async edit(actor, id, edit) {
      const query = await visible(actor, id);
      mayWork(actor, query);
      const labels = await labelsFor(actor, edit.labels);
      const wanted: QueryEdit = labels ? { ...edit, labels } : { ...edit };
      if (edit.team !== undefined) wanted.team = await teamIdOf(deps, actor.orgId, edit.team);
      const patch: QueryPatch = {};
      const changed: [string, unknown, unknown][] = [];
      const fields = [
        "title",
        "description",
        "tags",
        "labels",
        "skill",
        "team",
        "waitingOn",
      ] as const;
      for (const key of fields) {
        const value = wanted[key];
        if (value === undefined || JSON.stringify(value) === JSON.stringify(query[key])) continue;
        Object.assign(patch, { [key]: value });
        changed.push([key, query[key], value]);
      }
      if (edit.customFields) {
        const values = await customFields.apply(
          actor.orgId,
          "query",
          query.customFields,
          edit.customFields,
        );
        if (JSON.stringify(values) !== JSON.stringify(query.customFields)) {
          patch.customFields = values;
          changed.push(["customFields", query.customFields, values]);
        }
      }
      if (patch.team !== undefined) {
        Object.assign(patch, await teamClockChange(deps, query, patch.team, now()));
      }
      if (edit.waitingOn && edit.waitingOn !== query.waitingOn) {
        Object.assign(
          patch,
          slaClockChange(query, edit.waitingOn, now(), await businessClock(query)),
        );
      }
      if (changed.length === 0) return query;
      const updated = await change(query, patch);
      for (const [field, from, to] of changed) {
        await record(updated, actor.userId, { action: "edited", field, from, to });
      }
      await events.emit("query.updated", by(actor), {
        query: updated,
        changes: changed.map(([field, from, to]) => ({ field, from, to })),
      });
      return updated;
    },

    async setStatus(actor, id, status, reason) {
      const query = await visible(actor, id);
      mayWork(actor, query);
      if (query.status === status) return query;
      if (!canTransition(query.status, status) || status === "Assigned") {
        const allowed = transitions[query.status].filter((s) => s !== "Assigned");
        throw new AppError(
          "INVALID_TRANSITION",
          `Cannot move ${query.reference} from ${query.status} to ${status}`,
          { details: { from: query.status, to: status, allowed } },
        );
      }
      const patch = statusChange(query, status, now());
      const reopening = query.status === "Resolved" && status === "In Progress";
      if (reopening) {
        Object.assign(patch, { resolvedAt: null, waitingOn: "agent" });
        await reserveForReopen(query);
      }
      let updated: Query;
      try {
        updated = await change(query, patch);
      } catch (err) {
        if (reopening && query.assignedTo) {
          await store.agentStates.release(query.organizationId, query.assignedTo);
        }
        throw err;
      }
      await record(updated, actor.userId, {
        action: "status",
        field: "status",
        from: query.status,
        to: status,
        reason: reason ?? null,
      });
      await events.emit("query.status_changed", by(actor), {
        query: updated,
        from: query.status,
        to: status,
        reason: reason ?? null,
      });
      if (status === "Resolved" && query.assignedTo) {
        await routing.release(query.organizationId, query.assignedTo);
      }
      return updated;
    },

    async setPriority(actor, id, priority, reason) {
      if (!can(actor.role, "queries.lead")) {
        throw new AppError("FORBIDDEN", `Role ${actor.role} may not change priorities`);
      }
      const query = await visible(actor, id);
      if (query.priority === priority) return query;
      const org = await store.organizations.findById(actor.orgId);
      const updated = await change(
        query,
        priorityChange(
          query,
          priority,
          supportSettings(org!),
          await businessHoursFor(deps, org!, query.team),
        ),
      );
      await record(updated, actor.userId, {
        action: "priority",
        field: "priority",
        from: query.priority,
        to: priority,
        reason: reason ?? null,
      });
      await events.emit("query.updated", by(actor), {
        query: updated,
        changes: [{ field: "priority", from: query.priority, to: priority }],
      });
      return updated;
    },

    async assign(actor, id, agentId, reason) {
      if (!can(actor.role, "queries.lead")) {
        throw new AppError("FORBIDDEN", `Role ${actor.role} may not assign queries`);
      }
      const query = await visible(actor, id);
      return await routing.assignTo(query, agentId, actor.userId, {
        action: "assigned",
        reason: reason ?? null,
      });
    },

    async transfer(actor, id, to, reason) {
      const query = await visible(actor, id);
      mayWork(actor, query);
      if (query.status === "Resolved" || query.status === "Closed") {
        throw new AppError(
          "INVALID_TRANSITION",
          `A ${query.status} query cannot be transferred`,
        );
      }
      if (to.agentId) {
        return await routing.assignTo(query, to.agentId, actor.userId, {
          action: "transferred",
          reason,
        });
      }
      const team = await teamIdOf(deps, actor.orgId, to.team ?? null, "toTeam");
      return await routing.requeue(query, actor.userId, reason, team);
    },

    async history(actor, id, page) {
      const query = await visible(actor, id);
      return await store.queryHistory.list(actor.orgId, query.id, page);
    },

    async rate(actor, id, rating, comment) {
      const query = await visible(actor, id);
      if (!can(actor.role, "queries.rate")) {
        throw new AppError("FORBIDDEN", "Only the query's customer may rate it");
      }
      if (query.status !== "Resolved" && query.status !== "Closed") {
        throw new AppError("INVALID_TRANSITION", `${query.reference} is not resolved yet`);
      }
      const csat = { rating, comment: comment ?? null, ratedAt: now() };
      const updated = await store.queries.update(actor.orgId, query.id, { isNull: ["csat"] }, {
        csat,
        updatedAt: csat.ratedAt,
      });
      if (!updated) throw new AppError("CONFLICT", `${query.reference} is already rated`);
      await record(updated, actor.userId, { action: "csat", field: "csat", to: rating });
      await events.emit("csat.given", by(actor), { query: updated });
      return updated;
    },

    async responded(orgId, id, at, known) {
      const query = known?.id === id ? known : await store.queries.findById(orgId, id);
      if (!query || query.firstResponseAt || !query.assignedTo) return;
      await store.queries.update(orgId, id, {
        statuses: ["Assigned", "In Progress"],
        isNull: ["firstResponseAt"],
      }, {
        firstResponseAt: at,
      });
    },
    async customerReplied(orgId, id) {
      const query = await store.queries.findById(orgId, id);
      if (!query || query.waitingOn !== "customer") return;
      const at = now();
      await store.queries.update(orgId, id, {
        statuses: [query.status],
        assignedTo: query.assignedTo,
      }, {
        waitingOn: "agent",
        ...slaClockChange(query, "agent", at, await businessClock(query)),
        updatedAt: at,
      });
    },
  };

  /** A reopened query takes a slot of its assignee again; 409 when they are full. */
  async function reserveForReopen(query: Query): Promise<void> {
    if (!query.assignedTo) return;
    const agent = await store.users.findById(query.organizationId, query.assignedTo);
    const max = agent?.maxConcurrentQueries ?? 0;
    const ok = await store.agentStates.reserve(query.organizationId, query.assignedTo, max, now());
    if (!ok) {
      throw new AppError(
        "CONFLICT",
        `The assignee already holds ${max} queries; transfer ${query.reference} to reopen it`,
      );
    }
  }

  return service;
}

/** A new priority and the SLA targets it sets, keeping time already paused added to them. */
export function priorityChange(
  query: Query,
  priority: Priority,
  settings: SupportSettings,
  hours: BusinessHours | null = null,
): QueryPatch {
  const before = slaDueTimes(settings, query.priority, query.createdAt, hours);
  const after = slaDueTimes(settings, priority, query.createdAt, hours);
  const shift = (due: string | null, old: string, next: string) =>
    due === null ? null : new Date(Date.parse(next) + Date.parse(due) - Date.parse(old))
      .toISOString();
  return {
    priority,
    priorityRank: priorityRank[priority],
    firstResponseDueAt: shift(
      query.firstResponseDueAt,
      before.firstResponseDueAt,
      after.firstResponseDueAt,
    ),
    resolutionDueAt: shift(query.resolutionDueAt, before.resolutionDueAt, after.resolutionDueAt),
  };
}

/** The fields a status change sets besides the status (times of first response, resolution…). */
export function statusChange(query: Query, status: QueryStatus, at: string): QueryPatch {
  const patch: QueryPatch = { status };
  if (status === "In Progress" && query.status === "Assigned" && !query.firstResponseAt) {
    patch.firstResponseAt = at;
  }
  if (status === "Resolved") Object.assign(patch, { resolvedAt: at, slaPausedAt: null });
  if (status === "Closed") patch.closedAt = at;
  return patch;
}

/** Stops the SLA clock while waiting on the customer; restarting moves the targets on. */
export function slaClockChange(
  query: Query,
  waitingOn: WaitingOn,
  at: string,
  business: BusinessHours | null = null,
): QueryPatch {
  if (waitingOn === "customer") return { slaPausedAt: query.slaPausedAt ?? at };
  if (!query.slaPausedAt) return {};
  const pausedAt = Date.parse(query.slaPausedAt);
  const paused = Date.parse(at) - pausedAt;
  // In business time, what was left of a target at the pause is left of it again now.
  const later = (due: string | null) =>
    due === null ? null : new Date(
      business && Date.parse(due) > pausedAt
        ? addBusinessTime(
          business,
          Date.parse(at),
          businessTimeBetween(business, pausedAt, Date.parse(due)),
        )
        : Date.parse(due) + paused,
    ).toISOString();
  return {
    slaPausedAt: null,
    firstResponseDueAt: later(query.firstResponseDueAt),
    resolutionDueAt: later(query.resolutionDueAt),
  };
}
