import type { Deps } from "@/deps.ts";
import type { Events } from "@/events.ts";
import { channels } from "@/bus/bus.ts";
import { AppError, notFound } from "@/errors.ts";
import { type Actor, can } from "@/modules/users/actor.ts";
import { type AttachmentService, imageTypes } from "@/modules/chat/attachments.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import type { IncomingFile } from "@/modules/uploads.ts";

export type CallOutcome = "completed" | "rejected" | "busy" | "no-answer" | "dropped" | "cancelled";

/** One call: who called whom, when, how long, how it ended. */
export interface CallRecord {
  id: string;
  organizationId: string;
  callerId: string;
  calleeId: string;
  callType: "audio" | "video";
  status: "ringing" | "active" | "ended";
  outcome: CallOutcome | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  /** Attachment ids of snapshots and screenshots taken during the call. */
  snapshots: string[];
}

export interface CallService {
  /** Rings the callee; a busy callee ends the call at once with reason "busy". */
  start(
    caller: Actor,
    to: string,
    offer: unknown,
    callType: "audio" | "video",
  ): Promise<CallRecord>;
  answer(callee: Actor, callId: string, answer: unknown): Promise<CallRecord>;
  iceCandidate(party: Actor, callId: string, candidate: unknown): Promise<void>;
  /** Ends the call for both parties; false when it had already ended. */
  end(orgId: string, callId: string, outcome: CallOutcome, by?: string): Promise<boolean>;
  /** Ends every call of a user whose socket dropped. */
  dropped(orgId: string, userId: string): Promise<void>;
  list(caller: Actor, page: PageRequest): Promise<PageResult<CallRecord>>;
  /** The call if the caller is a party to it (or supervises the organization). */
  get(caller: Actor, callId: string): Promise<CallRecord>;
  /** Stores an image taken during the call (its parties only) and lists it on the record. */
  addSnapshot(caller: Actor, callId: string, file: IncomingFile): Promise<CallRecord>;
  /** The call id given, or the live (ringing or active) call between `party` and `to`. */
  resolve(
    party: Actor,
    ref: { callId?: string | undefined; to?: string | undefined },
  ): Promise<string>;
  /** Stops the ring timers of this instance. */
  close(): void;
}

const reasons: Record<CallOutcome, string> = {
  completed: "ended",
  rejected: "rejected",
  busy: "busy",
  "no-answer": "no-answer",
  dropped: "dropped",
  cancelled: "cancelled",
};

/** WebRTC signalling: offers, answers and candidates go through each user's bus channel. */
export function createCallService(
  deps: Pick<Deps, "store" | "bus" | "shared" | "clock" | "ids" | "config" | "log"> & {
    events: Events;
  },
  attachments: Pick<AttachmentService, "save">,
): CallService {
  const calls = deps.store.documents("calls");
  /** The ringing, then the active, calls matching `where`: at most `limit` of each. */
  async function liveCalls(
    orgId: string,
    where: { callerId?: string; calleeId?: string },
    limit: number,
  ): Promise<CallRecord[]> {
    const live: CallRecord[] = [];
    for (const status of ["ringing", "active"] as const) {
      const open = await calls.find(orgId, {
        where: { ...where, status },
        sort: [],
        page: { page: 1, limit },
      });
      live.push(...open.data);
    }
    return live;
  }
  const ringMs = deps.config.realtime.callRingSeconds * 1000;
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const busyKey = (userId: string) => `call:busy:${userId}`;
  const now = () => deps.clock.now().toISOString();
  const push = (userId: string, event: string, data: unknown) =>
    deps.bus.publish(channels.user(userId), { event, data }).catch((err) =>
      deps.log.warn("call push failed", { event, error: String(err) })
    );

  /**
   * Customers call the staff assigned to their queries; staff call each other, and the
   * customers of queries they work (Admins and TLs: of any query of the organization).
   */
  async function mayTalk(caller: Actor, otherId: string): Promise<boolean> {
    if (otherId === caller.userId) return false;
    const other = await deps.store.users.findById(caller.orgId, otherId);
    if (!other?.active || !can(caller.role, "calls.make")) return false;
    if (caller.role !== "Customer" && other.role !== "Customer") return true;
    if (caller.role === "Customer" && other.role === "Customer") return false;
    const customerId = caller.role === "Customer" ? caller.userId : other.id;
    const staffId = caller.role === "Customer" ? other.id : caller.userId;
    const supervisor = caller.role !== "Customer" && can(caller.role, "queries.lead");
    const shared = await deps.store.queries.list(
      caller.orgId,
      supervisor ? { customerId } : { customerId, assignedTo: staffId },
      { field: "createdAt", order: "desc" },
      { page: 1, limit: 1 },
    );
    return shared.total > 0;
  }

  function emitEnded(call: CallRecord, actorId: string) {
    return deps.events.emit("call.ended", { organizationId: call.organizationId, actorId }, {
      call,
    });
  }

  async function party(caller: Actor, callId: string): Promise<CallRecord> {
    const call = await calls.get(caller.orgId, callId);
    if (!call || (call.callerId !== caller.userId && call.calleeId !== caller.userId)) {
      throw notFound("Call", callId);
    }
    return call;
  }

  const service: CallService = {
    async start(caller, to, offer, callType) {
      if (!await mayTalk(caller, to)) {
        throw new AppError("FORBIDDEN", "You may not call this person");
      }
      const at = now();
      const call = await calls.insert({
        id: deps.ids.next(),
        organizationId: caller.orgId,
        callerId: caller.userId,
        calleeId: to,
        callType,
        status: "ringing",
        outcome: null,
        startedAt: at,
        answeredAt: null,
        endedAt: null,
        durationSeconds: null,
        snapshots: [],
      });
      const holdMs = 6 * 3600_000;
      const callerFree = await deps.shared.setIfAbsent(busyKey(caller.userId), call.id, holdMs);
      const calleeFree = await deps.shared.setIfAbsent(busyKey(to), call.id, holdMs);
      if (!callerFree || !calleeFree) {
        if (callerFree) await deps.shared.delete(busyKey(caller.userId));
        if (calleeFree) await deps.shared.delete(busyKey(to));
        const ended = await calls.update(caller.orgId, call.id, {
          status: "ended",
          outcome: "busy",
          endedAt: at,
          durationSeconds: 0,
        });
        await push(caller.userId, "call-ended", { callId: call.id, reason: "busy" });
        if (ended) await emitEnded(ended, caller.userId);
        return ended ?? call;
      }
      await deps.events.emit("call.started", {
        organizationId: call.organizationId,
        actorId: caller.userId,
      }, { call });
      await push(to, "incoming-call", { callId: call.id, from: caller.userId, offer, callType });
      timers.set(
        call.id,
        setTimeout(() => {
          timers.delete(call.id);
          void service.end(caller.orgId, call.id, "no-answer");
        }, ringMs),
      );
      return call;
    },
    async answer(callee, callId, answer) {
      const call = await party(callee, callId);
      if (call.calleeId !== callee.userId) {
        throw new AppError("FORBIDDEN", "Only the callee answers");
      }
      const active = await calls.update(callee.orgId, callId, {
        status: "active",
        answeredAt: now(),
      }, { status: "ringing" });
      if (!active) throw new AppError("CONFLICT", "The call is no longer ringing");
      clearTimeout(timers.get(callId));
      timers.delete(callId);
      await push(call.callerId, "call-answered", { callId, answer });
      return active;
    },
    async iceCandidate(p, callId, candidate) {
      const call = await party(p, callId);
      if (call.status === "ended") throw new AppError("CONFLICT", "The call has ended");
      const other = call.callerId === p.userId ? call.calleeId : call.callerId;
      await push(other, "ice-candidate", { callId, candidate, from: p.userId });
    },
    async end(orgId, callId, outcome, by) {
      const current = await calls.get(orgId, callId);
      if (!current || current.status === "ended") return false;
      const at = now();
      const answered = current.answeredAt ? Date.parse(current.answeredAt) : null;
      const finalOutcome: CallOutcome = outcome === "completed" && !answered
        ? "cancelled"
        : outcome;
      const ended = await calls.update(orgId, callId, {
        status: "ended",
        outcome: finalOutcome,
        endedAt: at,
        durationSeconds: answered ? Math.round((Date.parse(at) - answered) / 1000) : 0,
      }, { status: current.status });
      if (!ended) return false;
      clearTimeout(timers.get(callId));
      timers.delete(callId);
      for (const userId of [current.callerId, current.calleeId]) {
        if (await deps.shared.get(busyKey(userId)) === callId) {
          await deps.shared.delete(busyKey(userId));
        }
      }
      const data = { callId, reason: reasons[finalOutcome], ...(by ? { by } : {}) };
      await push(current.callerId, "call-ended", data);
      await push(current.calleeId, "call-ended", data);
      await emitEnded(ended, by ?? "system");
      return true;
    },
    async dropped(orgId, userId) {
      // `start` marks both parties busy until the call ends, as it refuses a second call on that
      // mark: without one there is no live call to end, and the four searches of every call
      // record below are skipped (a thousand sockets closing at once did them a thousand times).
      // Should the mark be unreadable (Redis away), the searches decide.
      const busy = await deps.shared.get(busyKey(userId)).catch(() => undefined);
      if (busy === null) return;
      for (const field of ["callerId", "calleeId"] as const) {
        for (const call of await liveCalls(orgId, { [field]: userId }, 50)) {
          await service.end(orgId, call.id, "dropped", userId);
        }
      }
    },
    async list(caller, page) {
      if (can(caller.role, "reports.read")) {
        return await calls.find(caller.orgId, { sort: [["startedAt", "desc"]], page });
      }
      // A person's own calls: as caller or callee, merged newest first.
      const wide = { page: 1, limit: page.page * page.limit };
      const [made, received] = await Promise.all([
        calls.find(caller.orgId, {
          where: { callerId: caller.userId },
          sort: [["startedAt", "desc"]],
          page: wide,
        }),
        calls.find(caller.orgId, {
          where: { calleeId: caller.userId },
          sort: [["startedAt", "desc"]],
          page: wide,
        }),
      ]);
      const all = [...made.data, ...received.data].sort((a, b) =>
        b.startedAt.localeCompare(a.startedAt)
      );
      return {
        data: all.slice((page.page - 1) * page.limit, page.page * page.limit),
        total: made.total + received.total,
      };
    },
    async get(caller, callId) {
      if (can(caller.role, "reports.read")) {
        const call = await calls.get(caller.orgId, callId);
        if (!call) throw notFound("Call", callId);
        return call;
      }
      return await party(caller, callId);
    },
    async addSnapshot(caller, callId, file) {
      const call = await service.get(caller, callId);
      if (call.callerId !== caller.userId && call.calleeId !== caller.userId) {
        throw new AppError("FORBIDDEN", "Only the parties to a call add snapshots");
      }
      const saved = await attachments.save(
        caller.orgId,
        { scope: "call", id: call.id },
        file,
        caller.userId,
        imageTypes,
      );
      const updated = await calls.update(caller.orgId, callId, {
        snapshots: [...call.snapshots, saved.id],
      }, { status: call.status });
      if (!updated) throw new AppError("CONFLICT", "The call changed meanwhile; retry");
      return updated;
    },
    async resolve(p, ref) {
      if (ref.callId !== undefined) return ref.callId;
      const to: string = ref.to ?? "";
      for (const [callerId, calleeId] of [[p.userId, to], [to, p.userId]] as const) {
        const [live] = await liveCalls(p.orgId, { callerId, calleeId }, 1);
        if (live) return live.id;
      }
      throw new AppError("NOT_FOUND", `No ringing or active call with user "${to}"`);
    },
    close() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
  return service;
}
