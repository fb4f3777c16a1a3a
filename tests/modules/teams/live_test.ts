import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { skipRedis, startRedis } from "@tests/helpers/redis.ts";
import { aDesk, expectStatus } from "@tests/helpers/support.ts";
import { login } from "@tests/helpers/identity.ts";
import { connect, type WsClient } from "@tests/helpers/ws.ts";

Deno.test({
  name: "team changes reach every staff socket live across two instances, never a customer's",
  ignore: skipRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await startRedis();
    const a = await testApp({ env: { REDIS_URL: redis.url } });
    const b = await testApp({ dataDir: a.deps.config.dataDir, env: { REDIS_URL: redis.url } });
    const servers = [serve(a.app), serve(b.app)];
    const clients: WsClient[] = [];
    try {
      const desk = await aDesk(a);
      const open = async (server: 0 | 1, token: string) => {
        const c = await connect(servers[server]!.wsUrl, token);
        clients.push(c);
        return c;
      };
      const lead = await open(1, await login(b, desk.users.TL.email));
      const agent = await open(0, desk.token.Agent);
      const customer = await open(0, desk.token.Customer);
      const admin = (method: string, path: string, json?: unknown) =>
        a.call(method, `/api/v1/teams${path}`, {
          token: desk.token.Admin,
          ...(json === undefined ? {} : { json }),
        });

      const team = await expectStatus(admin("POST", "", { name: "Night" }), 201);
      const created = await lead.next("team-updated", (d) => d.change === "created");
      assert.deepEqual(created.data.team, team, "as GET /teams/{id} shows it");

      await expectStatus(admin("PUT", `/${team.id}`, { members: [desk.users.Agent.id] }), 200);
      for (const socket of [lead, agent]) {
        const { data } = await socket.next("team-updated", (d) => d.change === "updated");
        assert.deepEqual(data.fields, ["members"]);
        assert.deepEqual((data.team as { members: string[] }).members, [desk.users.Agent.id]);
      }
      await expectStatus(admin("PUT", `/${team.id}`, { name: "Nights", description: "Late" }), 200);
      const renamed = await agent.next("team-updated", (d) => d.change === "updated");
      assert.deepEqual(renamed.data.fields, ["name", "description"]);

      await expectStatus(admin("DELETE", `/${team.id}`), 204);
      for (const socket of [lead, agent]) {
        assert.deepEqual((await socket.next("team-deleted")).data, { id: team.id, name: "Nights" });
      }
      // The customer's socket on the agent's instance got what it was going to before this ack.
      await customer.request("presence", { status: "online" }).catch(() => {});
      assert.deepEqual(
        customer.frames.filter((f) => f.event.startsWith("team-")),
        [],
        "a customer hears nothing of teams",
      );
    } finally {
      for (const c of clients) await c.close();
      await b.close();
      await a.close();
      for (const s of servers) await s.close();
      await redis.stop();
    }
  },
});
