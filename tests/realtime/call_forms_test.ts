import assert from "node:assert/strict";
import { conversation } from "@tests/helpers/conversation.ts";

Deno.test("answer-call, ice-candidate and end-call also name the call by {to}", async () => {
  const c = await conversation();
  try {
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token);
    const call = await customer.request("call-user", {
      to: c.agent.user.id,
      offer: { type: "offer", sdp: "v=0" },
    });
    await agent.next("incoming-call");
    await agent.request("answer-call", {
      to: c.desk.users.Customer.id,
      answer: { type: "answer", sdp: "v=0" },
    });
    assert.equal((await customer.next("call-answered")).data?.callId, call.callId);
    await customer.request("ice-candidate", { to: c.agent.user.id, candidate: { c: 1 } });
    await agent.next("ice-candidate");
    await agent.request("end-call", { to: c.desk.users.Customer.id });
    assert.equal((await customer.next("call-ended")).data?.callId, call.callId);
    await assert.rejects(agent.request("end-call", { to: c.desk.users.Customer.id }), /NOT_FOUND/);
    await assert.rejects(
      agent.request("end-call", { to: c.desk.users.Customer.id, callId: call.callId }),
      /VALIDATION_FAILED/,
    );
    await assert.rejects(agent.request("end-call", {}), /VALIDATION_FAILED/);
    assert.ok((await agent.request("ping")).at);
  } finally {
    await c.close();
  }
});
