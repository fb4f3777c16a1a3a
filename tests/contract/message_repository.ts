import assert from "node:assert/strict";
import { ConflictError } from "@/errors.ts";
import { uuidv7 } from "@/ids.ts";
import { type Message, type RoomRead, roomReadId } from "@/modules/chat/repository.ts";
import { nextTime } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

function aMessage(roomId: string, seq: number, overrides: Partial<Message> = {}): Message {
  const id = uuidv7();
  return {
    id,
    organizationId: "o",
    roomId,
    seq,
    customerSeq: seq,
    senderId: "u1",
    senderRole: "Customer",
    type: "text",
    text: `message ${seq}`,
    fileId: null,
    clientMessageId: id,
    email: null,
    createdAt: nextTime(),
    ...overrides,
  };
}

/** MessageRepository: rooms in sequence, duplicates refused, the same on every adapter. */
export function messageRepositoryContract(kind: StoreKind): void {
  storeTest(kind, "messages.append() keeps a bot's sender role and name", async (s) => {
    const { seq: _s, customerSeq: _c, ...bot } = aMessage("rbot", 1, {
      senderId: "apikey:k1",
      senderRole: "bot",
      senderName: "Helper bot",
    });
    const stored = await s.messages.append(bot);
    const [found] = await s.messages.list("o", "rbot", { limit: 10, customer: true });
    for (const m of [stored, found, await s.messages.findById("o", stored.id)]) {
      assert.equal(m?.senderRole, "bot");
      assert.equal(m?.senderName, "Helper bot");
      assert.equal(m?.senderId, "apikey:k1");
    }
  });

  storeTest(kind, "messages.listInRooms() pages the rooms' messages newest first", async (s) => {
    const a1 = await s.messages.insert(aMessage("ra", 1));
    const b1 = await s.messages.insert(aMessage("rb", 1));
    const a2 = await s.messages.insert(aMessage("ra", 2));
    await s.messages.insert(aMessage("rc", 1));
    await s.messages.insert(aMessage("ra", 3, { organizationId: "elsewhere" }));
    const first = await s.messages.listInRooms("o", ["ra", "rb"], { page: 1, limit: 2 });
    assert.equal(first.total, 3);
    assert.deepEqual(first.data.map((m) => m.id), [a2.id, b1.id]);
    const second = await s.messages.listInRooms("o", ["ra", "rb"], { page: 2, limit: 2 });
    assert.deepEqual(second.data.map((m) => m.id), [a1.id]);
    assert.deepEqual(await s.messages.listInRooms("o", [], { page: 1, limit: 2 }), {
      data: [],
      total: 0,
    });
  });

  storeTest(
    kind,
    "messages.moveSender() and eraseSender() touch one sender here only",
    async (s) => {
      const mine = await s.messages.insert(aMessage("rm", 1, { senderId: "old", fileId: "f1" }));
      const staff = await s.messages.insert(aMessage("rm", 2, { senderId: "agent" }));
      const away = await s.messages.insert(
        aMessage("rm", 3, { senderId: "old", organizationId: "elsewhere" }),
      );
      assert.equal(await s.messages.moveSender("o", "old", "new"), 1);
      assert.equal((await s.messages.findById("o", mine.id))?.senderId, "new");
      assert.equal((await s.messages.findById("elsewhere", away.id))?.senderId, "old");
      assert.equal(await s.messages.eraseSender("o", "new", "[erased]"), 1);
      const erased = await s.messages.findById("o", mine.id);
      assert.deepEqual(erased, { ...mine, senderId: "new", text: "[erased]", fileId: null });
      assert.deepEqual(await s.messages.findById("o", staff.id), staff);
      assert.equal((await s.messages.findById("elsewhere", away.id))?.text, away.text);
    },
  );

  storeTest(
    kind,
    "messages.search() finds text anywhere, any case, newest first, in reach",
    async (s) => {
      const hit = (room: string, seq: number, text: string, extra: Partial<Message> = {}) =>
        s.messages.insert(aMessage(room, seq, { text, ...extra }));
      const a1 = await hit("ra", 1, "My INVOICE is wrong");
      const b1 = await hit("rb", 1, "the invoices for March");
      const note = await hit("ra", 2, "invoice fee waived?", { type: "note", senderRole: "Agent" });
      await hit("ra", 3, "thanks, all good");
      await hit("rc", 1, "another invoice, other room");
      await hit("ra", 4, "invoice elsewhere", { organizationId: "elsewhere" });
      const ids = async (
        q: Parameters<typeof s.messages.search>[1],
        page = { page: 1, limit: 10 },
      ) => {
        const found = await s.messages.search("o", q, page);
        return { total: found.total, ids: found.data.map((m) => m.id) };
      };
      const mine = { text: "invoice", roomIds: ["ra", "rb"], includeNotes: false };
      assert.deepEqual(await ids(mine), { total: 2, ids: [b1.id, a1.id] });
      assert.deepEqual(await ids({ ...mine, includeNotes: true }), {
        total: 3,
        ids: [note.id, b1.id, a1.id],
      });
      assert.deepEqual(
        (await ids({ ...mine, roomIds: null })).total,
        3,
        "the organization's rooms",
      );
      assert.deepEqual(await ids({ ...mine, includeNotes: true }, { page: 2, limit: 2 }), {
        total: 3,
        ids: [a1.id],
      });
      assert.deepEqual(await ids({ ...mine, roomIds: [] }), { total: 0, ids: [] });
      assert.deepEqual(await ids({ ...mine, text: 'is "wrong' }), { total: 0, ids: [] });
      assert.deepEqual(await ids({ ...mine, text: "E IS W" }), { total: 1, ids: [a1.id] });
      assert.deepEqual(await ids({ ...mine, text: "(.*)" }), { total: 0, ids: [] }, "literal text");
      const all = { ...mine, roomIds: null };
      assert.deepEqual(await ids({ ...all, text: 'is "wrong' }), { total: 0, ids: [] });
      assert.deepEqual(await ids({ ...all, text: "E IS W" }), { total: 1, ids: [a1.id] });
      assert.deepEqual(await ids({ ...all, text: "(.*)" }), { total: 0, ids: [] });
      const pct = await hit("rb", 2, "a 50% discount_code");
      assert.deepEqual(await ids({ ...mine, text: "50% d" }), { total: 1, ids: [pct.id] });
      assert.deepEqual(await ids({ ...mine, text: "0_c" }), { total: 0, ids: [] }, "no wildcards");
      assert.deepEqual(await ids({ ...all, text: "t_code" }), { total: 1, ids: [pct.id] });
    },
  );

  storeTest(kind, "messages list by sequence after and before a seq", async (s) => {
    for (let seq = 1; seq <= 5; seq++) await s.messages.insert(aMessage("r1", seq));
    await s.messages.insert(aMessage("r2", 1));
    await s.messages.insert(aMessage("r1", 6, { organizationId: "other" }));
    const seqs = (list: Message[]) => list.map((m) => m.seq);
    assert.deepEqual(seqs(await s.messages.list("o", "r1", { afterSeq: 2, limit: 10 })), [3, 4, 5]);
    assert.deepEqual(seqs(await s.messages.list("o", "r1", { afterSeq: 0, limit: 2 })), [1, 2]);
    assert.deepEqual(seqs(await s.messages.list("o", "r1", { beforeSeq: 5, limit: 2 })), [3, 4]);
    assert.deepEqual(seqs(await s.messages.list("o", "r1", { limit: 2 })), [4, 5]);
    assert.equal((await s.messages.last("o", "r1"))?.seq, 5);
    assert.equal(await s.messages.last("o", "r9"), null);
    const lasts = await s.messages.lastOf("o", ["r1", "r2", "r9"]);
    assert.deepEqual(lasts.map((m) => `${m.roomId}:${m.seq}`).sort(), ["r1:5", "r2:1"]);
    assert.deepEqual(await s.messages.lastOf("o", []), []);
    assert.deepEqual(
      (await s.messages.lastOf("other", ["r1", "r2"])).map((m) => `${m.roomId}:${m.seq}`),
      ["r1:6"],
    );
  });

  storeTest(kind, "messages refuse a taken seq and a repeated clientMessageId", async (s) => {
    const first = await s.messages.insert(aMessage("r1", 1, { clientMessageId: "c1" }));
    await assert.rejects(s.messages.insert(aMessage("r1", 1)), ConflictError);
    await assert.rejects(
      s.messages.insert(aMessage("r1", 2, { clientMessageId: "c1" })),
      ConflictError,
    );
    await s.messages.insert(aMessage("r1", 2, { clientMessageId: "c1", senderId: "u2" }));
    assert.deepEqual(await s.messages.findByClientId("o", "r1", "u1", "c1"), first);
    assert.equal(await s.messages.findByClientId("o", "r1", "u3", "c1"), null);
    assert.equal(await s.messages.findByClientId("other", "r1", "u1", "c1"), null);
    assert.deepEqual(await s.messages.findById("o", first.id), first);
    assert.equal(await s.messages.findById("other", first.id), null);
  });

  storeTest(kind, "messages append gives the room's next seq; a repeat takes none", async (s) => {
    const unsequenced = (clientMessageId: string, roomId = "r1") => {
      const { seq: _seq, customerSeq: _c, ...rest } = aMessage(roomId, 0, { clientMessageId });
      return rest;
    };
    const first = await s.messages.append(unsequenced("c1"));
    assert.equal(first.seq, 1);
    assert.deepEqual(await s.messages.findById("o", first.id), first);
    await assert.rejects(s.messages.append(unsequenced("c1")), ConflictError);
    assert.equal((await s.messages.append(unsequenced("c2"))).seq, 2);
    assert.equal((await s.messages.append(unsequenced("c1", "r2"))).seq, 1);
    assert.deepEqual(
      (await s.messages.list("o", "r1", { afterSeq: 0, limit: 10 })).map((m) => m.seq),
      [1, 2],
    );
  });

  storeTest(
    kind,
    "messages append at once: consecutive seqs, a repeat alone refused",
    async (s) => {
      const unsequenced = (clientMessageId: string) => {
        const { seq: _seq, customerSeq: _c, ...rest } = aMessage("r1", 0, { clientMessageId });
        return rest;
      };
      await s.messages.append(unsequenced("c0"));
      const results = await Promise.allSettled(
        ["c1", "c2", "c0", "c3"].map((c) => s.messages.append(unsequenced(c))),
      );
      assert.deepEqual(results.map((r) => r.status), [
        "fulfilled",
        "fulfilled",
        "rejected",
        "fulfilled",
      ]);
      assert.ok((results[2] as PromiseRejectedResult).reason instanceof ConflictError);
      const stored = await s.messages.list("o", "r1", { afterSeq: 0, limit: 10 });
      assert.deepEqual(stored.map((m) => m.seq), [1, 2, 3, 4]);
      assert.deepEqual(
        stored.map((m) => m.clientMessageId).sort(),
        ["c0", "c1", "c2", "c3"],
      );
    },
  );

  storeTest(kind, "messages append: a repeat racing its original leaves no gap", async (s) => {
    const unsequenced = (clientMessageId: string) => {
      const { seq: _seq, customerSeq: _c, ...rest } = aMessage("r1", 0, { clientMessageId });
      return rest;
    };
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(
        [`a${round}`, `a${round}`, `b${round}`, `a${round}`].map((c) =>
          s.messages.append(unsequenced(c))
        ),
      );
      const refused = results.filter((r) => r.status === "rejected");
      assert.equal(refused.length, 2, `round ${round}: only the two repeats are refused`);
      for (const r of refused) assert.ok(r.reason instanceof ConflictError);
    }
    const stored = await s.messages.list("o", "r1", { afterSeq: 0, limit: 100 });
    assert.deepEqual(stored.map((m) => m.seq), Array.from({ length: 10 }, (_, i) => i + 1));
    assert.equal(new Set(stored.map((m) => m.clientMessageId)).size, 10);
  });

  storeTest(kind, "messages append: notes take a room seq, never a customer seq", async (s) => {
    const append = (type: Message["type"], clientMessageId: string) => {
      const { seq: _s, customerSeq: _c, ...rest } = aMessage("r1", 0, { type, clientMessageId });
      return s.messages.append(rest);
    };
    await s.messages.insert(aMessage("r1", 1, { clientMessageId: "old" }));
    const kinds = ["note", "text", "note", "note", "text", "note"] as const;
    const stored = [];
    for (const [i, type] of kinds.entries()) stored.push(await append(type, `k${i}`));
    assert.deepEqual(stored.map((m) => [m.seq, m.customerSeq]), [
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 2],
      [6, 3],
      [7, 3],
    ]);
    const seen = await s.messages.list("o", "r1", { afterSeq: 0, limit: 10, customer: true });
    assert.deepEqual(seen.map((m) => [m.seq, m.customerSeq]), [[1, 1], [3, 2], [6, 3]]);
    assert.deepEqual(
      (await s.messages.list("o", "r1", { afterSeq: 1, limit: 1, customer: true }))
        .map((m) => m.seq),
      [3],
    );
    assert.deepEqual(
      (await s.messages.list("o", "r1", { beforeSeq: 3, limit: 5, customer: true }))
        .map((m) => m.customerSeq),
      [1, 2],
    );
    assert.equal((await s.messages.last("o", "r1"))?.seq, 7);
    assert.equal((await s.messages.last("o", "r1", { customer: true }))?.seq, 6);
    const lasts = await s.messages.lastOf("o", ["r1"], { customer: true });
    assert.deepEqual(lasts.map((m) => m.seq), [6]);
    assert.equal((await s.messages.list("o", "r1", { afterSeq: 0, limit: 10 })).length, 7);
  });

  storeTest(kind, "messages append with markRead raises the sender's read position", async (s) => {
    const reads = s.documents("room_reads");
    const id = roomReadId("r1", "u1");
    const append = (clientMessageId: string, markRead: boolean) => {
      const { seq: _seq, customerSeq: _c, ...rest } = aMessage("r1", 0, { clientMessageId });
      return s.messages.append(rest, { markRead });
    };
    await append("c1", false);
    assert.equal(await reads.get("o", id), null);
    const second = await append("c2", true);
    assert.deepEqual(await reads.get("o", id), {
      id,
      organizationId: "o",
      roomId: "r1",
      userId: "u1",
      seq: 2,
      customerSeq: 2,
      at: second.createdAt,
    });
    await reads.update("o", id, { seq: 9 });
    await append("c3", true);
    assert.equal((await reads.get("o", id))?.seq, 9);
  });

  storeTest(kind, "messages raiseRead moves a read position up, never down", async (s) => {
    const id = roomReadId("r1", "u2");
    const read = (seq: number): RoomRead => ({
      id,
      organizationId: "o",
      roomId: "r1",
      userId: "u2",
      seq,
      at: nextTime(),
    });
    const first = read(3);
    assert.deepEqual(await s.messages.raiseRead(first), { read: first, raised: true });
    assert.deepEqual(await s.messages.raiseRead(read(2)), { read: first, raised: false });
    assert.deepEqual(await s.messages.raiseRead(read(3)), { read: first, raised: false });
    const higher = read(7);
    assert.deepEqual(await s.messages.raiseRead(higher), { read: higher, raised: true });
    assert.deepEqual(await s.documents("room_reads").get("o", id), higher);
  });

  storeTest(kind, "messages setEmail records delivery on the message", async (s) => {
    const m = await s.messages.insert(aMessage("r1", 1));
    const email = {
      status: "sent" as const,
      messageId: "<a@b>",
      attempts: 1,
      lastError: null,
      updatedAt: nextTime(),
    };
    assert.deepEqual((await s.messages.setEmail("o", m.id, email))?.email, email);
    assert.equal(await s.messages.setEmail("other", m.id, email), null);
  });
}
