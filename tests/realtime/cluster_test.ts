import assert from "node:assert/strict";
import { twoInstances } from "@tests/helpers/cluster.ts";
import { skipRedis } from "@tests/helpers/redis.ts";
import { expectStatus, openQuery } from "@tests/helpers/support.ts";
import { login } from "@tests/helpers/identity.ts";

const redisTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: skipRedis, sanitizeOps: false, sanitizeResources: false, fn });

redisTest("messages, typing, receipts and presence cross between two instances", async () => {
  const c = await twoInstances({ PRESENCE_TTL_SECONDS: "1" });
  try {
    const staffWatch = await c.open(0, c.desk.token.TL);
    const customer = await c.open(0, c.desk.token.Customer);
    const agentToken = await login(c.b, c.agent.user.email);
    const agent = await c.open(1, agentToken);
    const online = await staffWatch.next("presence", (d) => d.userId === c.agent.user.id);
    assert.equal(online.data.status, "online");
    await customer.request("join-room", { roomId: c.query.roomId });
    await agent.request("join-room", { roomId: c.query.roomId });
    const { seq } = await customer.request("send-message", {
      roomId: c.query.roomId,
      message: "from A",
    });
    const got = await agent.next(
      "message-received",
      (d) => (d.message as { seq: number }).seq === seq,
    );
    assert.equal((got.data.message as { text: string }).text, "from A");
    await agent.request("typing", { roomId: c.query.roomId, isTyping: true });
    assert.equal((await customer.next("user-typing")).data.userId, c.agent.user.id);
    await agent.request("mark-read", { roomId: c.query.roomId, seq });
    assert.equal((await customer.next("message-read")).data.seq, seq);
    const presence = await expectStatus(
      c.a.call("GET", `/api/v1/presence/${c.agent.user.id}`, { token: c.desk.token.TL }),
      200,
    );
    assert.equal(presence.status, "online");
    await agent.request("presence", { status: "away" });
    assert.equal(
      (await staffWatch.next("presence", (d) => d.status === "away")).data.userId,
      c.agent.user.id,
    );
    await agent.close();
    const offline = await staffWatch.next("presence", (d) => d.status === "offline");
    assert.equal(offline.data.userId, c.agent.user.id);
    assert.equal(
      customer.frames.some((f) => f.event === "presence"),
      false,
      "customers get no staff presence",
    );
  } finally {
    await c.close();
  }
});

redisTest(
  "a notification made on one instance reaches the user's socket on the other",
  async () => {
    const c = await twoInstances();
    try {
      const tokenOnB = await login(c.b, c.agent.user.email);
      const agent = await c.open(1, tokenOnB);
      const q = await openQuery(c.desk);
      assert.equal(q.assignedTo, c.agent.user.id);
      const assigned = await agent.next("query-assigned", (d) => d.id === q.id);
      assert.equal(assigned.data.reference, q.reference);
      const note = await agent.next(
        "notification",
        (d) => (d.data as { queryId: string }).queryId === q.id,
      );
      assert.equal(note.data.type, "query-assigned");
    } finally {
      await c.close();
    }
  },
);

redisTest("every call event crosses instances: ring, answer, candidates, end, busy", async () => {
  const c = await twoInstances();
  try {
    const customer = await c.open(0, c.desk.token.Customer);
    const agent = await c.open(1, await login(c.b, c.agent.user.email));
    const offer = { type: "offer", sdp: "v=0 caller" };
    const started = await customer.request("call-user", {
      to: c.agent.user.id,
      offer,
      callType: "video",
    });
    const ring = await agent.next("incoming-call");
    assert.deepEqual(ring.data, {
      callId: started.callId,
      from: c.desk.users.Customer.id,
      offer,
      callType: "video",
    });
    await agent.request("answer-call", {
      callId: started.callId,
      answer: { type: "answer", sdp: "v=0 callee" },
    });
    assert.equal((await customer.next("call-answered")).data.callId, started.callId);
    await customer.request("ice-candidate", {
      callId: started.callId,
      candidate: { candidate: "c1" },
    });
    assert.deepEqual((await agent.next("ice-candidate")).data.candidate, { candidate: "c1" });
    await agent.request("ice-candidate", {
      callId: started.callId,
      candidate: { candidate: "c2" },
    });
    assert.deepEqual((await customer.next("ice-candidate")).data.candidate, { candidate: "c2" });
    // Someone else calling the agent now finds them busy.
    const tl = await c.open(0, c.desk.token.TL);
    const busy = await tl.request("call-user", { to: c.agent.user.id, offer });
    assert.equal(busy.outcome, "busy");
    assert.equal((await tl.next("call-ended")).data.reason, "busy");
    await customer.request("end-call", { callId: started.callId });
    assert.equal(
      (await agent.next("call-ended", (d) => d.callId === started.callId)).data.reason,
      "ended",
    );
    const records = await expectStatus(
      c.b.call("GET", "/api/v1/calls", { token: c.desk.token.Admin }),
      200,
    );
    const record = records.data.find((r: { id: string }) => r.id === started.callId);
    assert.equal(record.outcome, "completed");
    assert.equal(record.callType, "video");
    assert.ok(record.answeredAt && record.endedAt);
  } finally {
    await c.close();
  }
});

redisTest("an unanswered call ends with no-answer; a dropped socket ends its calls", async () => {
  const c = await twoInstances({ CALL_RING_SECONDS: "1" });
  try {
    const customer = await c.open(0, c.desk.token.Customer);
    const agent = await c.open(1, await login(c.b, c.agent.user.email));
    const offer = { type: "offer", sdp: "v=0" };
    const unanswered = await customer.request("call-user", { to: c.agent.user.id, offer });
    assert.equal((await customer.next("call-ended")).data.reason, "no-answer");
    assert.equal((await agent.next("call-ended")).data.callId, unanswered.callId);
    const second = await customer.request("call-user", { to: c.agent.user.id, offer });
    await agent.next("incoming-call", (d) => d.callId === second.callId);
    await agent.request("answer-call", {
      callId: second.callId,
      answer: { type: "answer", sdp: "x" },
    });
    await agent.close();
    const ended = await customer.next("call-ended", (d) => d.callId === second.callId);
    assert.equal(ended.data.reason, "dropped");
    const stranger = await c.open(0, c.desk.token.QA);
    await assert.rejects(
      stranger.request("call-user", { to: c.agent.user.id, offer }),
      /FORBIDDEN/,
    );
  } finally {
    await c.close();
  }
});

redisTest(
  "messages sent while Redis restarts reach the other side through resume, once",
  async () => {
    const c = await twoInstances();
    try {
      const customer = await c.open(0, c.desk.token.Customer);
      const agent = await c.open(1, await login(c.b, c.agent.user.email));
      await customer.request("join-room", { roomId: c.query.roomId });
      const joined = await agent.request("join-room", { roomId: c.query.roomId });
      await agent.close();
      await c.redis.restart(async () => {
        // Stored and acknowledged; their relay fails, since Redis is down.
        for (const message of ["during 1", "during 2", "during 3"]) {
          await customer.request("send-message", { roomId: c.query.roomId, message });
        }
      });
      const stored = await c.a.deps.store.messages.list(c.desk.org.id, c.query.roomId, {
        afterSeq: joined.lastSeq as number,
        limit: 10,
      });
      assert.deepEqual(stored.map((m) => m.text), ["during 1", "during 2", "during 3"]);
      const again = await c.open(1, await login(c.b, c.agent.user.email));
      await again.request("join-room", { roomId: c.query.roomId, sinceSeq: joined.lastSeq });
      const after = await customer.request("send-message", {
        roomId: c.query.roomId,
        message: "after",
      });
      await again.next("message-received", (d) => (d.message as { seq: number }).seq === after.seq);
      const texts = again.frames.filter((f) => f.event === "message-received").map((f) =>
        (f.data.message as { text: string }).text
      );
      assert.deepEqual(texts.slice(0, 3).sort(), ["during 1", "during 2", "during 3"]);
      assert.deepEqual(texts.slice(3), ["after"]);
    } finally {
      await c.close();
    }
  },
);

redisTest("a user whose instance died is announced offline once its presence expires", async () => {
  const c = await twoInstances({ PRESENCE_TTL_SECONDS: "1" });
  try {
    const watcher = await c.open(1, await login(c.b, c.desk.users.TL.email));
    // What a crashed instance leaves behind: a member nobody refreshes or removes.
    const member = `${c.desk.org.id}|${c.agent.user.id}|crashed-instance`;
    await c.a.deps.shared.setMember("presence", member, Date.now() + 500);
    const gone = await watcher.next(
      "presence",
      (d) => d.userId === c.agent.user.id && d.status === "offline",
    );
    assert.ok(gone.data.lastSeen);
    assert.deepEqual(
      await c.a.deps.shared.members("presence").then((m) => m.filter((x) => x.member === member)),
      [],
    );
    const state = await c.a.deps.store.agentStates.get(c.desk.org.id, c.agent.user.id);
    assert.equal(state.status, "offline", "routing stops offering them queries");
  } finally {
    await c.close();
  }
});

redisTest(
  "a room first joined on an instance while Redis is down works once it is back; cleanup is clean",
  async () => {
    const errors: string[] = [];
    const log = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (msg: string) => void errors.push(msg),
    };
    const c = await twoInstances({}, { log });
    try {
      const customer = await c.open(0, c.desk.token.Customer);
      await customer.request("join-room", { roomId: c.query.roomId });
      const agent = await c.open(1, await login(c.b, c.agent.user.email));
      let during = 0;
      await c.redis.restart(async () => {
        // The room's first join on B, while its subscription cannot be made.
        await agent.request("join-room", { roomId: c.query.roomId });
        during = (await customer.request("send-message", {
          roomId: c.query.roomId,
          message: "while Redis is down",
        })).seq as number;
      });
      const missed = await agent.next(
        "message-received",
        (d) => (d.message as { seq: number }).seq === during,
      );
      assert.equal((missed.data.message as { text: string }).text, "while Redis is down");
      const { seq: after } = await customer.request("send-message", {
        roomId: c.query.roomId,
        message: "after",
      });
      await agent.next("message-received", (d) => (d.message as { seq: number }).seq === after);
      const seqs = agent.frames.filter((f) => f.event === "message-received")
        .map((f) => (f.data.message as { seq: number }).seq);
      assert.deepEqual(seqs, [during, after]);
      await agent.close();
      const joinedAgain = await c.open(1, await login(c.b, c.agent.user.email));
      assert.ok((await joinedAgain.request("join-room", { roomId: c.query.roomId })).lastSeq);
      assert.deepEqual(errors, []);
    } finally {
      await c.close();
    }
  },
);

redisTest(
  "a user connecting on two instances at the same moment is announced online once",
  async () => {
    const c = await twoInstances();
    try {
      const watcher = await c.open(0, c.desk.token.TL);
      const token = await login(c.b, c.agent.user.email);
      await Promise.all([c.open(0, token), c.open(1, token)]);
      await watcher.next("presence", (d) => d.userId === c.agent.user.id);
      // A marker after both: any second announcement would have come before it.
      const marker = await c.open(1, c.desk.token.QA);
      await watcher.next("presence", (d) => d.userId === c.desk.users.QA.id);
      await marker.close();
      const online = watcher.frames.filter((f) =>
        f.event === "presence" && f.data.userId === c.agent.user.id && f.data.status === "online"
      );
      assert.equal(online.length, 1);
    } finally {
      await c.close();
    }
  },
);

redisTest(
  "a mention in a note on instance A reaches the mentioned user's socket on B",
  async () => {
    const c = await twoInstances();
    try {
      const tlToken = await login(c.b, c.desk.users.TL.email);
      const tl = await c.open(1, tlToken);
      const customer = await c.open(0, c.desk.token.Customer);
      await customer.request("join-room", { roomId: c.query.roomId });
      const note = await expectStatus(
        c.a.call("POST", `/api/v1/chat/rooms/${c.query.roomId}/messages`, {
          token: c.agent.token,
          json: { message: "@TL user please check the refund", type: "note" },
        }),
        201,
      );
      const live = await tl.next("notification", (d) => d.type === "mention");
      assert.equal((live.data.data as Record<string, string>).messageId, note.id);
      const found = await expectStatus(
        c.b.call("GET", "/api/v1/notifications?type=mention", { token: tlToken }),
        200,
      );
      assert.equal(found.data[0].id, live.data.id);
      // The customer in the same room on A got nothing of it.
      await customer.request("send-message", { roomId: c.query.roomId, message: "still there?" });
      await customer.next(
        "message-received",
        (d) => (d.message as { text: string }).text === "still there?",
      );
      assert.equal(JSON.stringify(customer.frames).includes("refund"), false);
    } finally {
      await c.close();
    }
  },
);
