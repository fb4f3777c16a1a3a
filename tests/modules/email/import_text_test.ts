import assert from "node:assert/strict";
import { skipDovecot } from "@tests/helpers/dovecot.ts";
import { aMailDesk } from "@tests/helpers/mail.ts";

const encoded = (s: string) =>
  `=?utf-8?B?${btoa(String.fromCharCode(...new TextEncoder().encode(s)))}?=`;

Deno.test({
  name: "poll: bidi controls and the BOM of a mail's subject and sender name are not stored",
  ignore: skipDovecot,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const m = await aMailDesk();
    try {
      await m.deliver({
        from: `${encoded("Mallory\u202e\ufeff Evil")} <mallory@customer.test>`,
        subject: encoded("Invoice \u202egnp.exe\u2066 overdue"),
        text: "Please pay",
      });
      const report = await m.poll();
      assert.equal(report.imported[0]?.status, "created", JSON.stringify(report));
      const [query] = (await m.t.deps.store.queries.list(
        m.desk.org.id,
        {},
        { field: "number", order: "asc" },
        { page: 1, limit: 10 },
      )).data;
      assert.equal(query!.title, "Invoice gnp.exe overdue");
      const customer = await m.t.deps.store.users.findById(m.desk.org.id, query!.customerId);
      assert.equal(customer?.name, "Mallory Evil");
    } finally {
      await m.close();
    }
  },
});
