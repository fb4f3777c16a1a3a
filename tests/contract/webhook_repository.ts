import assert from "node:assert/strict";
import { uuidv7 } from "@/ids.ts";
import type { WebhookDelivery, WebhookEndpoint } from "@/modules/webhooks/model.ts";
import { webhookRepository } from "@/modules/webhooks/repository.ts";
import { nextTime } from "./fixtures.ts";
import { type StoreKind, storeTest } from "./store_contract.ts";

function anEndpoint(orgId: string): WebhookEndpoint {
  const at = nextTime();
  return {
    id: uuidv7(),
    organizationId: orgId,
    url: "https://hooks.example.com/in",
    events: ["*"],
    description: "",
    active: true,
    secret: "v1.sealed.secret",
    previousSecret: null,
    previousSecretUntil: null,
    disabledReason: null,
    disabledAt: null,
    failingSince: null,
    createdAt: at,
    updatedAt: at,
  };
}

function aDelivery(orgId: string, endpointId: string, dueAt: string): WebhookDelivery {
  const at = nextTime();
  return {
    id: uuidv7(),
    organizationId: orgId,
    endpointId,
    eventId: uuidv7(),
    type: "query.created",
    payload: '{"type":"query.created","timestamp":"2026-01-01T00:00:00.000Z","data":{}}',
    status: "pending",
    attempts: 0,
    nextAttemptAt: dueAt,
    leaseOwner: null,
    leaseUntil: null,
    lastAttemptAt: null,
    lastStatusCode: null,
    lastError: null,
    lastLatencyMs: null,
    deliveredAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

const t0 = "2026-03-01T10:00:00.000Z";
const later = (ms: number) => new Date(Date.parse(t0) + ms).toISOString();

/** WebhookRepository: the outbox's due list, exclusive claims and leases hold on every store. */
export function webhookRepositoryContract(kind: StoreKind): void {
  storeTest(
    kind,
    "webhook outbox: due() lists the organization's due deliveries, oldest first",
    async (s) => {
      const repo = webhookRepository(s);
      const e = await repo.endpoints.insert(anEndpoint("o1"));
      const second = await repo.deliveries.insert(aDelivery("o1", e.id, later(2_000)));
      const first = await repo.deliveries.insert(aDelivery("o1", e.id, later(1_000)));
      await repo.deliveries.insert(aDelivery("o1", e.id, later(60_000)));
      await repo.deliveries.insert({ ...aDelivery("o1", e.id, t0), status: "delivered" });
      await repo.deliveries.insert(aDelivery("o2", e.id, t0));
      const due = await repo.due("o1", later(5_000), 10);
      assert.deepEqual(due.map((d) => d.id), [first.id, second.id]);
      assert.deepEqual(await repo.due("o3", later(5_000), 10), []);
      assert.deepEqual((await repo.due("o1", later(5_000), 1)).map((d) => d.id), [first.id]);
    },
  );

  storeTest(
    kind,
    "webhook outbox: of racing claims one wins; its lease hides the delivery until it runs out",
    async (s) => {
      const repo = webhookRepository(s);
      const d = await repo.deliveries.insert(aDelivery("o1", "e1", t0));
      const until = later(60_000);
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, i) => repo.claim(d, `instance-${i}`, until)),
      );
      const won = claims.filter((c) => c !== null);
      assert.equal(won.length, 1);
      assert.equal(won[0]!.leaseUntil, until);
      assert.deepEqual(await repo.due("o1", later(59_000), 10), []);
      // The holder died: once its lease ran out the delivery is due again, and another takes it.
      const [again] = await repo.due("o1", until, 10);
      assert.equal(again?.id, d.id);
      const taken = await repo.claim(again!, "survivor", later(120_000));
      assert.equal(taken?.leaseOwner, "survivor");
      // The dead holder's late result is refused; the survivor's is written.
      assert.equal(await repo.settle(taken!, won[0]!.leaseOwner!, { status: "failed" }), null);
      const settled = await repo.settle(taken!, "survivor", { status: "delivered", attempts: 1 });
      assert.equal(settled?.status, "delivered");
      assert.equal(settled?.leaseOwner, null);
      assert.equal(settled?.leaseUntil, null);
      // A settled delivery cannot be claimed again.
      assert.equal(await repo.claim(settled!, "late", later(200_000)), null);
    },
  );

  storeTest(kind, "webhook endpoints: another organization's endpoint is invisible", async (s) => {
    const repo = webhookRepository(s);
    const e = await repo.endpoints.insert(anEndpoint("o1"));
    assert.equal(await repo.endpoints.get("o2", e.id), null);
    assert.equal(await repo.endpoints.update("o2", e.id, { url: "https://evil.example" }), null);
    assert.equal(await repo.endpoints.delete("o2", e.id), false);
    assert.equal((await repo.endpoints.get("o1", e.id))?.url, "https://hooks.example.com/in");
    const active = await repo.endpoints.find("o1", {
      where: { active: true },
      sort: [["createdAt", "asc"]],
      page: { page: 1, limit: 10 },
    });
    assert.deepEqual(active.data.map((x) => x.id), [e.id]);
  });
}
