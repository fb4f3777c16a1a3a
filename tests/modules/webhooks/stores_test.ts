import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { fixedClock } from "@/clock.ts";
import { deliverWebhooks } from "@/jobs/webhook_deliveries.ts";
import { testApp, testStore } from "@tests/helpers/app.ts";
import { skipMongo } from "@tests/helpers/mongo.ts";
import { aDesk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { webhookReceiver } from "@tests/helpers/webhook_receiver.ts";

const loopback = { OUTBOUND_ALLOWED_CIDRS: "127.0.0.0/8" };

/** The delivery path end to end on each store, with two instances sharing it. */
for (const kind of ["sqlite", "mongo"] as const) {
  Deno.test({
    name:
      `[${kind}] two instances: a failed attempt is retried, a dead holder's lease is taken over, one webhook-id throughout`,
    ignore: kind === "mongo" && skipMongo,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const receiver = webhookReceiver();
      await receiver.stop();
      const store = await testStore(kind);
      const clock = fixedClock(new Date());
      const a = await testApp({ clock, store, env: { ...loopback, INSTANCE_ID: "a" } });
      // The second instance shares the store; the first one closes it.
      const shared = { ...store, close: async () => {} };
      const b = await testApp({ clock, store: shared, env: { ...loopback, INSTANCE_ID: "b" } });
      let release = () => {};
      try {
        const desk = await aDesk(a);
        const hook = await expectStatus(
          a.call("POST", "/api/v1/webhooks", {
            token: desk.token.Admin,
            json: { url: receiver.url, events: ["query.created"] },
          }),
          201,
        );
        const query = await openQuery(desk);
        assert.equal((await deliverWebhooks(a.services.webhooks)).retrying, 1);

        receiver.start();
        receiver.hold = new Promise((resolve) => release = resolve);
        clock.advance(6_000);
        const inFlight = deliverWebhooks(a.services.webhooks);
        await receiver.arrived(1);
        receiver.hold = null;
        assert.equal((await deliverWebhooks(b.services.webhooks)).attempted, 0);
        clock.advance(61_000);
        assert.equal((await deliverWebhooks(b.services.webhooks)).delivered, 1);
        release();
        await inFlight;

        const ids = new Set(receiver.received.map((r) => r.headers["webhook-id"]));
        assert.equal(receiver.received.length, 2);
        assert.equal(ids.size, 1);
        const last = receiver.received[1]!;
        const payload = new Webhook(hook.secret).verify(last.body, last.headers) as {
          data: { query: { id: string } };
        };
        assert.equal(payload.data.query.id, query.id);
        const list = await expectStatus(
          b.call("GET", `/api/v1/webhooks/${hook.id}/deliveries`, { token: desk.token.Admin }),
          200,
        );
        assert.equal(list.data[0].status, "delivered");
        assert.equal(list.data[0].attempts, 2);
        assert.equal(list.data[0].id, [...ids][0]);
      } finally {
        release();
        await b.close();
        await a.close();
        await receiver.stop();
      }
    },
  });
}
