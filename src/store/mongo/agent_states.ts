import type { AgentState, AgentStateRepository } from "@/modules/routing/repository.ts";
import type { Db } from "./db.ts";
import { versionedUpdate } from "./db.ts";

type StateDoc = Omit<AgentState, "userId"> & { _id: string; version?: number };

function toState(doc: StateDoc): AgentState {
  const { _id, version: _version, ...rest } = doc;
  // States stored before the reconnect grace have neither field.
  return {
    ...rest,
    droppedAt: rest.droppedAt ?? null,
    statusBeforeDrop: rest.statusBeforeDrop ?? null,
    userId: _id,
  };
}

function fresh(orgId: string, userId: string, at: string): AgentState {
  return {
    userId,
    organizationId: orgId,
    status: "offline",
    onShift: false,
    load: 0,
    lastAssignedAt: null,
    droppedAt: null,
    statusBeforeDrop: null,
    updatedAt: at,
  };
}

/** Agent states; every change goes through `versionedUpdate`, so loads never pass a maximum. */
export function mongoAgentStateRepository(db: Db): AgentStateRepository {
  const states = db.collection<StateDoc>("agent_states");
  async function change(
    orgId: string,
    userId: string,
    at: string,
    fn: (s: StateDoc) => Partial<StateDoc> | null,
  ) {
    const filter = { _id: userId, organizationId: orgId };
    const doc = await versionedUpdate(states, filter, fn);
    if (doc || await states.findOne(filter)) return doc;
    const { userId: _id, ...rest } = fresh(orgId, userId, at);
    await states.insertOne({ _id, ...rest }).catch((err) => {
      // A concurrent first write inserted it: fine, it exists now.
      if ((err as { code?: number }).code !== 11000) throw err;
    });
    return await versionedUpdate(states, filter, fn);
  }
  return {
    async get(orgId, userId) {
      const doc = await states.findOne({ _id: userId, organizationId: orgId });
      return doc ? toState(doc) : fresh(orgId, userId, new Date(0).toISOString());
    },
    async setStatus(orgId, userId, status, at) {
      return toState(
        (await change(orgId, userId, at, () => ({
          status,
          droppedAt: null,
          statusBeforeDrop: null,
          updatedAt: at,
        })))!,
      );
    },
    async markDropped(orgId, userId, at) {
      const doc = await versionedUpdate(
        states,
        { _id: userId, organizationId: orgId },
        (s) =>
          s.status === "offline" ? null : {
            statusBeforeDrop: s.status,
            status: "offline" as const,
            droppedAt: at,
            updatedAt: at,
          },
      );
      return doc ? toState(doc) : null;
    },
    async restoreDropped(orgId, userId, at) {
      const doc = await versionedUpdate(
        states,
        { _id: userId, organizationId: orgId },
        (s) =>
          s.droppedAt
            ? {
              status: s.statusBeforeDrop ?? "online",
              statusBeforeDrop: null,
              droppedAt: null,
              updatedAt: at,
            }
            : null,
      );
      return doc ? toState(doc) : null;
    },
    async droppedBefore(orgId, before) {
      const docs = await states.find({
        organizationId: orgId,
        droppedAt: { $type: "string", $lt: before },
      }).sort({ droppedAt: 1, _id: 1 }).toArray();
      return docs.map(toState);
    },
    async setShift(orgId, userId, onShift, at) {
      const doc = await change(
        orgId,
        userId,
        at,
        (s) => s.onShift === onShift ? null : { onShift, updatedAt: at },
      );
      return doc !== null;
    },
    async reserve(orgId, userId, max, at) {
      const doc = await change(
        orgId,
        userId,
        at,
        (s) => s.load < max ? { load: s.load + 1, lastAssignedAt: at } : null,
      );
      return doc !== null;
    },
    async release(orgId, userId) {
      await versionedUpdate(
        states,
        { _id: userId, organizationId: orgId },
        (s) => s.load > 0 ? { load: s.load - 1 } : null,
      );
    },
    async available(orgId) {
      const docs = await states.find({ organizationId: orgId, status: "online", onShift: true })
        .sort({ lastAssignedAt: 1, _id: 1 }).toArray();
      return docs.map(toState);
    },
    async list(orgId) {
      return (await states.find({ organizationId: orgId }).sort({ _id: 1 }).toArray()).map(
        toState,
      );
    },
  };
}
