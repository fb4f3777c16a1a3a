import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { expectStatus } from "@tests/helpers/support.ts";
import { connect, type WsClient } from "@tests/helpers/ws.ts";
import { runScript } from "./run.ts";

Deno.test({
  name:
    "after deno task seed: an agent's note mentions the TL, who sees it live and runs the macro; the customer sees none of it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-seed-ws-" });
    const sockets: WsClient[] = [];
    try {
      const seeded = await runScript("seed.ts", [], { DATA_DIR: dataDir });
      assert.equal(seeded.code, 0, seeded.stderr);
      assert.match(
        seeded.stdout,
        /2 teams, business hours, 4 labels on the queries, the macro "Escalate billing"/,
      );
      const t = await testApp({ dataDir });
      const server = serve(t.app);
      try {
        const login = async (email: string) =>
          (await expectStatus(
            t.call("POST", "/api/v1/auth/login", { json: { email, password: "demo-password" } }),
            200,
          )).token as string;
        const demo = (name: string) => `${name.toLowerCase().replace(" ", ".")}@demo.chatcrm.test`;
        const open = async (token: string) => {
          const socket = await connect(server.wsUrl, token);
          sockets.push(socket);
          return socket;
        };
        const tl = await login(demo("Tom Lead"));
        const teams = await expectStatus(t.call("GET", "/api/v1/teams", { token: tl }), 200);
        assert.deepEqual(
          teams.data.map((x: { name: string; members: string[] }) => [x.name, x.members.length]),
          [["billing", 3], ["support", 5]],
        );
        const hours = await expectStatus(
          t.call("GET", "/api/v1/business-hours", { token: tl }),
          200,
        );
        assert.equal(hours.businessHours.timezone, "Europe/Berlin");
        const labels = await expectStatus(t.call("GET", "/api/v1/labels", { token: tl }), 200);
        assert.deepEqual(labels.data.map((l: { name: string }) => l.name), [
          "billing",
          "french",
          "technical",
          "vip",
        ]);
        const seededNote = await expectStatus(
          t.call("GET", "/api/v1/notifications?type=mention", { token: tl }),
          200,
        );
        assert.equal(seededNote.meta.total, 1, "the seed's note for Tom");

        const agent = await login(demo("Alice Agent"));
        const mine = await expectStatus(
          t.call("GET", "/api/v1/queries?status=Assigned,In Progress", { token: agent }),
          200,
        );
        const query = mine.data[0];
        assert.ok(query.labels.length > 0, "seeded queries carry their skill's label");
        const customerUser =
          (await t.deps.store.users.findById(query.organizationId, query.customerId))!;
        const customer = await open(await login(customerUser.email));
        await customer.request("join-room", { roomId: query.roomId, sinceSeq: 0 });
        const tlSocket = await open(tl);

        await expectStatus(
          t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
            token: agent,
            json: { type: "note", message: "@Tom Lead should we escalate this?" },
          }),
          201,
        );
        const live = await tlSocket.next("notification", (d) => d.type === "mention");
        assert.equal((live.data.data as Record<string, string>).queryId, query.id);

        const macros = await expectStatus(t.call("GET", "/api/v1/macros", { token: tl }), 200);
        const escalate = macros.data.find((m: { name: string }) => m.name === "Escalate billing");
        const ran = await expectStatus(
          t.call("POST", `/api/v1/queries/${query.id}/macros/${escalate.id}`, { token: tl }),
          200,
        );
        assert.equal(ran.priority, "High");
        assert.equal(ran.team, teams.data[0].id, "the billing team, by its id");
        const vip = labels.data.find((l: { name: string }) => l.name === "vip").id;
        assert.ok(ran.labels.includes(vip));

        const reply = await customer.next(
          "message-received",
          (d) =>
            (d.message as { text: string }).text === "A billing specialist is now on your case.",
        );
        assert.ok(reply);
        const seen = customer.frames.filter((f) => f.event === "message-received")
          .map((f) => f.data.message as { seq: number; text: string; type: string });
        assert.ok(seen.every((m, i) => i === 0 || m.seq === seen[i - 1]!.seq + 1), "no gap");
        assert.equal(seen.some((m) => m.type === "note"), false);
        const everything = JSON.stringify(customer.frames);
        for (const hidden of ["escalate this", "Escalated to billing", "waive the fee"]) {
          assert.equal(everything.includes(hidden), false, hidden);
        }
      } finally {
        for (const s of sockets) await s.close();
        await t.close();
        await server.close();
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
