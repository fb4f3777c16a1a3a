import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { aDesk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { connect } from "@tests/helpers/ws.ts";
import { roomReadId } from "@/modules/chat/repository.ts";

async function aRoomWithMessages(count: number) {
  const t = await testApp();
  const desk = await aDesk(t);
  const query = await openQuery(desk);
  const roomId: string = query.roomId;
  let last = 0;
  for (let i = 0; i < count; i++) {
    const sent = await expectStatus(
      t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, {
        token: desk.token.Customer,
        json: { message: `message ${i}` },
      }),
      201,
    );
    last = sent.seq;
  }
  const stored = (userId: string) =>
    t.deps.store.documents("room_reads").get(desk.org.id, roomReadId(roomId, userId));
  const unread = async (token: string) => {
    const rooms = await expectStatus(t.call("GET", "/api/v1/chat/rooms", { token }), 200);
    return rooms.data.find((r: { id: string }) => r.id === roomId).unread as number;
  };
  return { t, desk, roomId, last, stored, unread };
}

Deno.test({
  name: "PUT /chat/rooms/{id}/read clamps a seq past the room's last message to the last",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const r = await aRoomWithMessages(3);
    try {
      const admin = r.desk.token.Admin;
      const read = await expectStatus(
        r.t.call("PUT", `/api/v1/chat/rooms/${r.roomId}/read`, {
          token: admin,
          json: { seq: 99999999999 },
        }),
        200,
      );
      assert.deepEqual(read, { roomId: r.roomId, seq: r.last });
      assert.equal((await r.stored(r.desk.users.Admin.id))?.seq, r.last);
      // Messages sent afterwards are unread, as they would not be with the huge seq stored.
      await expectStatus(
        r.t.call("POST", `/api/v1/chat/rooms/${r.roomId}/messages`, {
          token: r.desk.token.Customer,
          json: { message: "one more" },
        }),
        201,
      );
      assert.equal(await r.unread(admin), 1);
    } finally {
      await r.t.close();
    }
  },
});

Deno.test({
  name: "WS mark-read clamps a seq past the room's last message to the last",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const r = await aRoomWithMessages(2);
    const server = serve(r.t.app);
    const ws = await connect(server.wsUrl, r.desk.token.Customer);
    try {
      await ws.request("join-room", { roomId: r.roomId });
      const ack = await ws.request("mark-read", { roomId: r.roomId, seq: 99999999999 });
      assert.deepEqual(ack, { roomId: r.roomId, seq: r.last });
      assert.equal((await r.stored(r.desk.users.Customer.id))?.seq, r.last);
      // An earlier seq never moves it back.
      const back = await ws.request("mark-read", { roomId: r.roomId, seq: 1 });
      assert.equal(back.seq, r.last);
    } finally {
      await ws.close();
      await server.close();
      await r.t.close();
    }
  },
});
