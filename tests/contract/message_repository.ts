import assert from "node:assert/strict";
import { ConflictError } from "@/errors.ts";
import { uuidv7 } from "@/ids.ts";
import type { Message } from "@/modules/chat/repository.ts";
import { nextTime } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

function aMessage(roomId: string, seq: number, overrides: Partial<Message> = {}): Message {
  const id = uuidv7();
  return {
    id,
    organizationId: "o",
    roomId,
    seq,
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
