import assert from "node:assert/strict";
import { ConflictError } from "@/errors.ts";
import { uuidv7 } from "@/ids.ts";
import { priorityRank } from "@/modules/queries/model.ts";
import type { QueryFilter } from "@/modules/queries/repository.ts";
import type { Store } from "@/store/store.ts";
import { aQuery, nextTime } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

const page = { page: 1, limit: 50 };
const newest = { field: "createdAt", order: "asc" } as const;

async function ids(s: Store, orgId: string, filter: Parameters<Store["queries"]["list"]>[1]) {
  return (await s.queries.list(orgId, filter, newest, page)).data.map((q) => q.id);
}

/** QueryRepository, QueryHistoryRepository and CounterRepository: same answers everywhere. */
export function queryRepositoryContract(kind: StoreKind): void {
  storeTest(kind, "queries.create() then findById() only within its organization", async (s) => {
    const q = aQuery("org-a", { tags: ["vip"], csat: null });
    assert.deepEqual(await s.queries.create(q), q);
    assert.deepEqual(await s.queries.findById("org-a", q.id), q);
    assert.equal(await s.queries.findById("org-b", q.id), null);
    await assert.rejects(
      s.queries.create(aQuery("org-a", { number: q.number, reference: q.reference })),
      ConflictError,
    );
    await s.queries.create(aQuery("org-b", { number: q.number }));
  });

  storeTest(kind, "queries.findByNumber() only within its organization", async (s) => {
    const a = await s.queries.create(aQuery("org-a"));
    const b = await s.queries.create(aQuery("org-b", { number: a.number }));
    assert.deepEqual(await s.queries.findByNumber("org-a", a.number), a);
    assert.deepEqual(await s.queries.findByNumber("org-b", a.number), b);
    assert.equal(await s.queries.findByNumber("org-c", a.number), null);
    assert.equal(await s.queries.findByNumber("org-a", a.number + 1000), null);
  });

  storeTest(
    kind,
    "queries.moveCustomer() and eraseCustomer() touch one customer here only",
    async (s) => {
      const rated = await s.queries.create(aQuery("org-a", {
        customerId: "old",
        title: "My card 4111",
        csat: { rating: 4, comment: "Call me on 555", ratedAt: nextTime() },
      }));
      const open = await s.queries.create(aQuery("org-a", { customerId: "old", csat: null }));
      const theirs = await s.queries.create(aQuery("org-a", { customerId: "someone" }));
      const away = await s.queries.create(aQuery("org-b", { customerId: "old" }));
      assert.equal(await s.queries.moveCustomer("org-a", "old", "new"), 2);
      assert.equal((await s.queries.findById("org-b", away.id))?.customerId, "old");
      assert.equal(await s.queries.eraseCustomer("org-a", "new", "[erased]"), 2);
      assert.deepEqual(await s.queries.findById("org-a", rated.id), {
        ...rated,
        customerId: "new",
        title: "[erased]",
        description: "[erased]",
        csat: { ...rated.csat!, comment: null },
      });
      assert.deepEqual(await s.queries.findById("org-a", open.id), {
        ...open,
        customerId: "new",
        title: "[erased]",
        description: "[erased]",
      });
      assert.deepEqual(await s.queries.findById("org-a", theirs.id), theirs);
      const found = await s.queries.list("org-a", { text: "4111" }, {
        field: "createdAt",
        order: "asc",
      }, { page: 1, limit: 10 });
      assert.equal(found.total, 0, "the erased text is not searchable any more");
    },
  );

  storeTest(kind, "counters.next() counts per organization, never repeating", async (s) => {
    const first = await Promise.all(Array.from({ length: 10 }, () => s.counters.next("o1", "q")));
    assert.deepEqual([...first].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(await s.counters.next("o2", "q"), 1);
    assert.equal(await s.counters.next("o1", "other"), 1);
    assert.equal(await s.counters.next("o1", "q"), 11);
  });

  storeTest(kind, "queries.list() filters on every field and counts the total", async (s) => {
    const t0 = nextTime();
    const a = await s.queries.create(aQuery("o", { tags: ["billing", "vip"], source: "Email" }));
    const b = await s.queries.create(
      aQuery("o", {
        status: "Assigned",
        assignedTo: "agent-1",
        priority: "Urgent",
        priorityRank: priorityRank.Urgent,
        title: "Refund 50% please",
        skill: "billing",
        team: "tier2",
        customerId: "customer-2",
      }),
    );
    const t1 = nextTime();
    const c = await s.queries.create(aQuery("o", { status: "Resolved", breached: true }));
    await s.queries.create(aQuery("other-org"));
    assert.deepEqual(await ids(s, "o", {}), [a.id, b.id, c.id]);
    assert.deepEqual(await ids(s, "o", { statuses: ["Open", "Resolved"] }), [a.id, c.id]);
    assert.deepEqual(await ids(s, "o", { priorities: ["Urgent"] }), [b.id]);
    assert.deepEqual(await ids(s, "o", { assignedTo: null }), [a.id, c.id]);
    assert.deepEqual(await ids(s, "o", { assignedTo: "agent-1" }), [b.id]);
    assert.deepEqual(await ids(s, "o", { customerId: "customer-2" }), [b.id]);
    assert.deepEqual(await ids(s, "o", { source: "Email" }), [a.id]);
    assert.deepEqual(await ids(s, "o", { tag: "vip" }), [a.id]);
    assert.deepEqual(await ids(s, "o", { team: "tier2", skill: "billing" }), [b.id]);
    assert.deepEqual(await ids(s, "o", { createdFrom: t0, createdTo: t1 }), [a.id, b.id]);
    assert.deepEqual(await ids(s, "o", { text: "50%" }), [b.id]);
    assert.deepEqual(await ids(s, "o", { text: "REFUND" }), [b.id]);
    assert.deepEqual(await ids(s, "o", { text: a.reference }), [a.id]);
    assert.deepEqual(await ids(s, "o", { text: "%" }), [b.id]);
    assert.deepEqual(await ids(s, "o", { breached: true }), [c.id]);
    const byPriority = await s.queries.list("o", {}, { field: "priority", order: "desc" }, {
      page: 1,
      limit: 1,
    });
    assert.deepEqual(byPriority.data.map((q) => q.id), [b.id]);
    assert.equal(byPriority.total, 3);
  });

  storeTest(
    kind,
    "queries.list() by a tag or label counts its organization's, after edits",
    async (s) => {
      const a = await s.queries.create(aQuery("o", { tags: ["vip"], labels: ["label-1"] }));
      const b = await s.queries.create(aQuery("o", { tags: ["vip", "x"], labels: ["label-1"] }));
      const c = await s.queries.create(aQuery("o", { tags: ["vip"], labels: [] }));
      await s.queries.create(aQuery("o", { tags: ["VIP"], labels: ["label-2"] }));
      await s.queries.create(aQuery("other-org", { tags: ["vip"], labels: ["label-1"] }));
      await s.queries.update("o", b.id, {}, { tags: ["x"], labels: [] });
      await s.queries.update("o", c.id, {}, { labels: ["label-1"] });
      const cases: [QueryFilter, string[]][] = [
        [{ tag: "vip" }, [a.id, c.id]],
        [{ label: "label-1" }, [a.id, c.id]],
        [{ tag: "x" }, [b.id]],
        [{ tag: "none" }, []],
        [{ tag: "vip", statuses: ["Open"] }, [a.id, c.id]],
      ];
      for (const [filter, want] of cases) {
        assert.deepEqual(await ids(s, "o", filter), want, JSON.stringify(filter));
        // A full page, the last one (short or empty), and pages past the end: the same total.
        for (const at of new Set([1, Math.max(1, want.length), want.length + 1, want.length + 3])) {
          const one = await s.queries.list("o", filter, newest, { page: at, limit: 1 });
          assert.deepEqual([one.data.map((q) => q.id), one.total], [
            want.slice(at - 1, at),
            want.length,
          ], `${JSON.stringify(filter)} page ${at}`);
        }
      }
    },
  );

  storeTest(kind, "queries.list() agentView shows own and takeable waiting ones", async (s) => {
    const mine = await s.queries.create(
      aQuery("o", { status: "In Progress", assignedTo: "me", skill: "x" }),
    );
    const theirs = await s.queries.create(aQuery("o", { status: "Assigned", assignedTo: "you" }));
    const open = await s.queries.create(aQuery("o"));
    const skilled = await s.queries.create(aQuery("o", { skill: "billing" }));
    const unskilled = await s.queries.create(aQuery("o", { skill: "legal" }));
    const view = { agentView: { userId: "me", skills: ["billing"] } };
    assert.deepEqual(await ids(s, "o", view), [mine.id, open.id, skilled.id]);
    assert.ok(![theirs.id, unskilled.id].some((id) => id === undefined));
    const noSkills = { agentView: { userId: "me", skills: [] } };
    assert.deepEqual(await ids(s, "o", noSkills), [mine.id, open.id]);
  });

  storeTest(kind, "queries.list() dueBefore finds running SLA clocks due soon", async (s) => {
    const soon = "2026-06-01T10:00:00.000Z";
    const late = "2026-06-01T12:00:00.000Z";
    const due = await s.queries.create(aQuery("o", { firstResponseDueAt: soon }));
    await s.queries.create(aQuery("o", { firstResponseDueAt: late }));
    await s.queries.create(
      aQuery("o", { firstResponseDueAt: soon, firstResponseAt: "2026-06-01T09:00:00.000Z" }),
    );
    await s.queries.create(aQuery("o", { status: "Resolved", resolutionDueAt: soon }));
    const resolution = await s.queries.create(aQuery("o", { resolutionDueAt: soon }));
    assert.deepEqual(await ids(s, "o", { dueBefore: "2026-06-01T11:00:00.000Z" }), [
      due.id,
      resolution.id,
    ]);
  });

  storeTest(kind, "queries.update() applies only when the expectation holds", async (s) => {
    const q = await s.queries.create(aQuery("o"));
    const at = nextTime();
    const claimed = await s.queries.update("o", q.id, { statuses: ["Open"], assignedTo: null }, {
      status: "Assigned",
      assignedTo: "agent-1",
      assignedAt: at,
      tags: ["a"],
    });
    assert.equal(claimed?.status, "Assigned");
    assert.equal(claimed?.assignedTo, "agent-1");
    assert.deepEqual(claimed?.tags, ["a"]);
    assert.equal(claimed?.title, q.title);
    const again = await s.queries.update("o", q.id, { assignedTo: null }, { assignedTo: "b" });
    assert.equal(again, null);
    assert.equal(await s.queries.update("other", q.id, {}, { title: "x" }), null);
    const unassigned = await s.queries.update("o", q.id, { assignedTo: "agent-1" }, {
      assignedTo: null,
      status: "Open",
    });
    assert.equal(unassigned?.assignedTo, null);
    const rated = await s.queries.update("o", q.id, { isNull: ["csat"] }, {
      csat: { rating: 5, comment: null, ratedAt: at },
    });
    assert.equal(rated?.csat?.rating, 5);
    assert.equal(await s.queries.update("o", q.id, { isNull: ["csat"] }, { csat: null }), null);
    assert.deepEqual(await s.queries.findById("o", q.id), rated);
  });

  storeTest(kind, "queries.update() lets exactly one of many concurrent claims win", async (s) => {
    const q = await s.queries.create(aQuery("o"));
    const results = await Promise.all(
      Array.from(
        { length: 12 },
        (_, i) =>
          s.queries.update("o", q.id, { statuses: ["Open"], assignedTo: null }, {
            status: "Assigned",
            assignedTo: `agent-${i}`,
          }),
      ),
    );
    const winners = results.filter((r) => r !== null);
    assert.equal(winners.length, 1);
    assert.equal((await s.queries.findById("o", q.id))?.assignedTo, winners[0]!.assignedTo);
  });

  storeTest(
    kind,
    "queries.waiting() is by priority then age; positionInQueue agrees",
    async (s) => {
      const low = await s.queries.create(aQuery("o", { priority: "Low", priorityRank: 1 }));
      const med1 = await s.queries.create(aQuery("o"));
      const urgent = await s.queries.create(aQuery("o", { priority: "Urgent", priorityRank: 4 }));
      const med2 = await s.queries.create(aQuery("o"));
      await s.queries.create(aQuery("o", { status: "Assigned", assignedTo: "a", priorityRank: 4 }));
      await s.queries.create(aQuery("elsewhere", { priorityRank: 4 }));
      const order = [urgent, med1, med2, low];
      assert.deepEqual((await s.queries.waiting("o", 10)).map((q) => q.id), order.map((q) => q.id));
      assert.deepEqual((await s.queries.waiting("o", 2)).map((q) => q.id), [urgent.id, med1.id]);
      for (const [i, q] of order.entries()) {
        assert.equal(await s.queries.positionInQueue("o", q), i);
      }
    },
  );

  storeTest(kind, "queries.slaDue() finds targets to warn about and to mark", async (s) => {
    const now = "2026-06-01T10:00:00.000Z";
    const warnUntil = "2026-06-01T10:15:00.000Z";
    const overdue = await s.queries.create(
      aQuery("o1", { firstResponseDueAt: "2026-06-01T09:00:00.000Z" }),
    );
    const soon = await s.queries.create(
      aQuery("o1", { resolutionDueAt: "2026-06-01T10:10:00.000Z" }),
    );
    await s.queries.create(aQuery("o2", { resolutionDueAt: "2026-06-01T10:10:00.000Z" }));
    await s.queries.create(aQuery("o1", { firstResponseDueAt: "2026-06-01T11:00:00.000Z" }));
    await s.queries.create(
      aQuery("o1", {
        resolutionDueAt: "2026-06-01T10:10:00.000Z",
        resolutionWarnedAt: "2026-06-01T09:55:00.000Z",
      }),
    );
    await s.queries.create(
      aQuery("o1", {
        firstResponseDueAt: "2026-06-01T09:00:00.000Z",
        slaPausedAt: "2026-06-01T08:00:00.000Z",
      }),
    );
    await s.queries.create(
      aQuery("o1", {
        firstResponseDueAt: "2026-06-01T09:00:00.000Z",
        firstResponseWarnedAt: "2026-06-01T08:50:00.000Z",
        firstResponseBreachedAt: "2026-06-01T09:01:00.000Z",
      }),
    );
    const due = await s.queries.slaDue("o1", now, warnUntil, 10);
    assert.deepEqual(due.map((q) => q.id), [overdue.id, soon.id]);
  });

  storeTest(kind, "queries.unansweredSince() and activeOf() find assignments", async (s) => {
    const stale = await s.queries.create(
      aQuery("o", { status: "Assigned", assignedTo: "a", assignedAt: "2026-06-01T09:00:00.000Z" }),
    );
    await s.queries.create(
      aQuery("o", { status: "Assigned", assignedTo: "a", assignedAt: "2026-06-01T09:59:00.000Z" }),
    );
    const working = await s.queries.create(
      aQuery("o", {
        status: "In Progress",
        assignedTo: "a",
        assignedAt: "2026-06-01T09:00:00.000Z",
        firstResponseAt: "2026-06-01T09:01:00.000Z",
      }),
    );
    await s.queries.create(aQuery("o", { status: "Resolved", assignedTo: "a" }));
    const stales = await s.queries.unansweredSince("o", "2026-06-01T09:30:00.000Z", 10);
    assert.deepEqual(await s.queries.unansweredSince("other", "2026-06-01T09:30:00.000Z", 10), []);
    assert.deepEqual(stales.map((q) => q.id), [stale.id]);
    const active = await s.queries.activeOf("o", "a");
    assert.equal(active.length, 3);
    assert.ok(active.some((q) => q.id === working.id));
    assert.deepEqual(await s.queries.activeOf("other", "a"), []);
  });

  storeTest(kind, "queryHistory lists a query's entries oldest first", async (s) => {
    const entry = (at: string, action: "created" | "status") => ({
      id: uuidv7(),
      organizationId: "o",
      queryId: "q1",
      actorId: "u1",
      action,
      field: action === "status" ? "status" : null,
      from: action === "status" ? "Open" : null,
      to: action === "status" ? { nested: ["Assigned"] } : null,
      reason: null,
      at,
    });
    const second = entry("2026-06-01T10:00:01.000Z", "status");
    const first = entry("2026-06-01T10:00:00.000Z", "created");
    await s.queryHistory.append(second);
    await s.queryHistory.append(first);
    await s.queryHistory.append({ ...entry(first.at, "created"), queryId: "q2" });
    await s.queryHistory.append({ ...entry(first.at, "created"), organizationId: "p" });
    const listed = await s.queryHistory.list("o", "q1", page);
    assert.equal(listed.total, 2);
    assert.deepEqual(listed.data, [first, second]);
  });
}

/** AgentStateRepository: availability, shifts and an atomic load. */
export function agentStateRepositoryContract(kind: StoreKind): void {
  storeTest(kind, "agentStates: a fresh agent is offline, off shift, with no load", async (s) => {
    const state = await s.agentStates.get("o", "u1");
    assert.equal(state.status, "offline");
    assert.equal(state.onShift, false);
    assert.equal(state.load, 0);
  });

  storeTest(
    kind,
    "agentStates: a dropped connection remembers the status a reconnect restores",
    async (s) => {
      const t1 = nextTime();
      assert.equal(await s.agentStates.markDropped("o", "u1", t1), null, "offline already");
      await s.agentStates.setStatus("o", "u1", "away", nextTime());
      const dropped = await s.agentStates.markDropped("o", "u1", nextTime());
      assert.equal(dropped?.status, "offline");
      assert.equal(dropped?.statusBeforeDrop, "away");
      assert.equal(await s.agentStates.markDropped("o", "u1", nextTime()), null, "once");
      const later = nextTime();
      assert.deepEqual(
        (await s.agentStates.droppedBefore("o", later)).map((x) => x.userId),
        ["u1"],
      );
      assert.deepEqual(await s.agentStates.droppedBefore("o", dropped!.droppedAt!), []);
      assert.deepEqual(await s.agentStates.droppedBefore("other", later), []);
      const back = await s.agentStates.restoreDropped("o", "u1", nextTime());
      assert.equal(back?.status, "away");
      assert.equal(back?.droppedAt, null);
      assert.equal(await s.agentStates.restoreDropped("o", "u1", nextTime()), null, "once");
      await s.agentStates.setStatus("o", "u2", "online", nextTime());
      await s.agentStates.markDropped("o", "u2", nextTime());
      const chosen = await s.agentStates.setStatus("o", "u2", "online", nextTime());
      assert.equal(chosen.droppedAt, null, "her own choice forgets the drop");
      assert.equal(await s.agentStates.restoreDropped("o", "u2", nextTime()), null);
    },
  );

  storeTest(kind, "agentStates.setShift() changes only from the other value", async (s) => {
    const at = nextTime();
    assert.equal(await s.agentStates.setShift("o", "u1", true, at), true);
    assert.equal(await s.agentStates.setShift("o", "u1", true, at), false);
    assert.equal((await s.agentStates.get("o", "u1")).onShift, true);
    assert.equal(await s.agentStates.setShift("o", "u1", false, at), true);
    assert.equal(await s.agentStates.setShift("o", "u1", false, at), false);
  });

  storeTest(kind, "agentStates.reserve() never goes past the maximum", async (s) => {
    const at = nextTime();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => s.agentStates.reserve("o", "u1", 3, at)),
    );
    assert.equal(results.filter(Boolean).length, 3);
    assert.equal((await s.agentStates.get("o", "u1")).load, 3);
    assert.equal(await s.agentStates.reserve("other", "u1", 10, at), false);
    for (let i = 0; i < 5; i++) await s.agentStates.release("o", "u1");
    assert.equal((await s.agentStates.get("o", "u1")).load, 0);
    assert.equal((await s.agentStates.get("o", "u1")).lastAssignedAt, at);
  });

  storeTest(
    kind,
    "agentStates.available() lists online agents on shift, idlest first",
    async (s) => {
      for (const id of ["a", "b", "c", "d"]) {
        await s.agentStates.setStatus("o", id, "online", nextTime());
        await s.agentStates.setShift("o", id, true, nextTime());
      }
      await s.agentStates.setStatus("o", "c", "away", nextTime());
      await s.agentStates.setShift("o", "d", false, nextTime());
      await s.agentStates.reserve("o", "a", 5, "2026-06-01T10:00:00.000Z");
      await s.agentStates.setStatus("x", "z", "online", nextTime());
      const available = await s.agentStates.available("o");
      assert.deepEqual(available.map((a) => a.userId), ["b", "a"]);
      assert.equal((await s.agentStates.list("o")).length, 4);
    },
  );
}
