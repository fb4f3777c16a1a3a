import assert from "node:assert/strict";
import { loadConfig } from "@/config.ts";
import { verifyImap } from "@/mail/imap.ts";
import { verifySmtp } from "@/mail/smtp.ts";
import { egressPolicy, EgressRefused, type Lookup } from "@/net/egress.ts";
import { connectionFailure } from "@/net/failures.ts";
import { startSmtp } from "@tests/helpers/smtp.ts";
import { listenWithBanner } from "./banner_listener.ts";
import { internalHosts } from "@tests/helpers/hosts.ts";

const noLookup: Lookup = () => Promise.reject(new Error("no DNS in this test"));

Deno.test("egressPolicy() refuses every numeric, named and mapped form of an internal address", async () => {
  const policy = egressPolicy();
  for (const host of internalHosts) {
    await assert.rejects(
      policy.check({ host, port: 25 }),
      (err: unknown) =>
        err instanceof EgressRefused && connectionFailure(err) === "refused by policy",
      host,
    );
  }
});

Deno.test("egressPolicy() lets public addresses through and names them for TLS", async () => {
  const lookup: Lookup = (host) =>
    Promise.resolve(
      host === "mail.example.test"
        ? [{ address: "10.1.1.1", family: 4 }, { address: "93.184.215.14", family: 4 }]
        : [],
    );
  const policy = egressPolicy({ lookup });
  assert.deepEqual(await policy.check({ host: "8.8.8.8", port: 993 }), {
    host: "8.8.8.8",
    port: 993,
    address: "8.8.8.8",
    servername: undefined,
  });
  assert.deepEqual(await policy.check({ host: "[2606:4700::1111]", port: 993 }), {
    host: "[2606:4700::1111]",
    port: 993,
    address: "2606:4700::1111",
    servername: undefined,
  });
  // A name with an internal and a public address: the public one is the one to connect to.
  assert.deepEqual(await policy.check({ host: "mail.example.test", port: 587 }), {
    host: "mail.example.test",
    port: 587,
    address: "93.184.215.14",
    servername: "mail.example.test",
  });
  await assert.rejects(
    policy.check({ host: "nowhere.example.test", port: 587 }),
    (err: unknown) => connectionFailure(err) === "name not found",
  );
  const internal = egressPolicy({
    lookup: () => Promise.resolve([{ address: "192.168.0.9", family: 4 }]),
  });
  await assert.rejects(internal.check({ host: "intranet.example.test", port: 25 }), EgressRefused);
});

Deno.test("egressPolicy() allows exactly the operator's CIDRs", async () => {
  const policy = egressPolicy({ allowedCidrs: ["127.0.0.0/8", "fd00::/8"], lookup: noLookup });
  assert.equal((await policy.check({ host: "127.1", port: 143 })).address, "127.0.0.1");
  assert.equal((await policy.check({ host: "2130706433", port: 143 })).address, "127.0.0.1");
  assert.equal(
    (await policy.check({ host: "[::ffff:127.0.0.1]", port: 143 })).address,
    "127.0.0.1",
  );
  assert.equal((await policy.check({ host: "fd00:ec2::254", port: 80 })).address, "fd00:ec2::254");
  const mapped = egressPolicy({ allowedCidrs: ["::ffff:127.0.0.0/104"], lookup: noLookup });
  assert.equal((await mapped.check({ host: "127.0.0.9", port: 143 })).address, "127.0.0.9");
  for (const host of ["::1", "10.0.0.1", "169.254.169.254", "0.0.0.0", "fe80::1"]) {
    await assert.rejects(policy.check({ host, port: 143 }), EgressRefused, host);
  }
});

Deno.test("egressPolicy() gives up on a lookup that never answers", async () => {
  const policy = egressPolicy({ lookup: () => new Promise(() => {}) });
  await assert.rejects(
    policy.check({ host: "slow.example.test", port: 25 }, { timeoutMs: 20 }),
    (err: unknown) => connectionFailure(err) === "timed out",
  );
});

Deno.test("OUTBOUND_ALLOWED_CIDRS is a validated list of CIDRs", () => {
  const base = { NODE_ENV: "test" };
  assert.deepEqual(loadConfig(base).outboundAllowedCidrs, []);
  assert.deepEqual(
    loadConfig({ ...base, OUTBOUND_ALLOWED_CIDRS: "10.0.0.0/8, 127.0.0.0/8,fd00::/8" })
      .outboundAllowedCidrs,
    ["10.0.0.0/8", "127.0.0.0/8", "fd00::/8"],
  );
  for (const bad of ["10.0.0.0", "10.0.0.0/33", "localhost/8", "10.0.0.0/8,nope"]) {
    assert.throws(
      () => loadConfig({ ...base, OUTBOUND_ALLOWED_CIDRS: bad }),
      /Invalid OUTBOUND_ALLOWED_CIDRS/,
      bad,
    );
  }
});

Deno.test({
  name: "verifyImap() and verifySmtp() never reach a loopback listener by default",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const listener = listenWithBanner();
    try {
      const outbound = { egress: egressPolicy(), timeoutMs: 2000 };
      const server = { host: "127.0.0.1", port: listener.port, secure: false };
      await assert.rejects(
        verifyImap({ ...server, user: "u", password: "p" }, outbound),
        EgressRefused,
      );
      await assert.rejects(
        verifySmtp({ ...server, user: null, password: null }, outbound),
        EgressRefused,
      );
      assert.equal(listener.accepted(), 0);
      // Allowed by the operator, the same listener is reached.
      const allowed = { egress: egressPolicy({ allowedCidrs: ["127.0.0.0/8"] }), timeoutMs: 2000 };
      await assert.rejects(verifySmtp({ ...server, user: null, password: null }, allowed));
      assert.equal(listener.accepted(), 1);
    } finally {
      await listener.close();
    }
  },
});

Deno.test({
  name: "verifySmtp() connects to the address the policy checked, never resolving the name again",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const smtp = await startSmtp();
    try {
      let lookups = 0;
      // The name exists only in this lookup: a second resolution by nodemailer would fail.
      const egress = egressPolicy({
        allowedCidrs: ["127.0.0.0/8"],
        lookup: (host) => {
          lookups++;
          return Promise.resolve(
            host === "mail.rebind.test" ? [{ address: "127.0.0.1", family: 4 }] : [],
          );
        },
      });
      await verifySmtp(
        { host: "mail.rebind.test", port: smtp.port, secure: false, user: null, password: null },
        { egress, timeoutMs: 5000 },
      );
      assert.equal(lookups, 1);
    } finally {
      await smtp.stop();
    }
  },
});
