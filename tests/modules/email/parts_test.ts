import assert from "node:assert/strict";
import { htmlToText, parseMail } from "@/mail/parse.ts";
import { describeMailError } from "@/modules/email/errors.ts";
import { backoffMs } from "@/modules/email/poller.ts";
import { encryptionKey, secretBox } from "@/modules/email/secrets.ts";

const server = { host: "mail.test", port: 993 };

Deno.test("describeMailError() names the host and what failed, never a password", () => {
  const cases: [unknown, RegExp][] = [
    [
      Object.assign(new Error("getaddrinfo ENOTFOUND mail.test"), { code: "ENOTFOUND" }),
      /Cannot resolve the host "mail\.test"/,
    ],
    [
      Object.assign(new Error("connect ECONNREFUSED 1.2.3.4:993"), { code: "ESOCKET" }),
      /Connection refused by mail\.test:993/,
    ],
    [
      Object.assign(new Error("Timeout"), { code: "CONNECT_TIMEOUT" }),
      /Timed out talking to mail\.test:993/,
    ],
    [
      Object.assign(new Error("Command failed"), {
        authenticationFailed: true,
        responseText: "Authentication failed.",
      }),
      /Login failed at mail\.test:993/,
    ],
    [Object.assign(new Error("Invalid login: 535"), { code: "EAUTH" }), /Login failed/],
    [
      Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }),
      /TLS failed with mail\.test:993/,
    ],
    [
      Object.assign(new Error("refused"), { code: "EGRESS_REFUSED" }),
      /Connections to mail\.test:993 are refused by the egress policy/,
    ],
    [new Error("something odd"), /^Connection to mail\.test:993 failed/],
  ];
  for (const [err, expected] of cases) assert.match(describeMailError(err, server), expected);
});

Deno.test("describeMailError() never repeats what the remote said", () => {
  const banner = "SECRET-BANNER internal-service v1.2";
  const remote = [
    new Error(`Unexpected greeting: ${banner}`),
    Object.assign(new Error(`Invalid greeting: ${banner}`), {
      code: "EPROTOCOL",
      response: banner,
    }),
    Object.assign(new Error("Command failed"), {
      authenticationFailed: true,
      responseText: banner,
    }),
    Object.assign(new Error(`Timeout ${banner}`), { code: "CONNECT_TIMEOUT" }),
    Object.assign(new Error(`${banner} ssl`), { code: "ETLS", response: banner }),
    Object.assign(new Error(banner), { responseStatus: "NO", responseText: banner }),
  ];
  for (const err of remote) {
    const said = describeMailError(err, server);
    assert.ok(!said.includes("SECRET"), said);
    assert.ok(said.includes("mail.test:993"), said);
  }
});

Deno.test("backoffMs() doubles from twice the poll interval and stops at an hour", () => {
  assert.deepEqual([1, 2, 3].map((n) => backoffMs(60, n)), [120_000, 240_000, 480_000]);
  assert.equal(backoffMs(60, 30), 3_600_000);
});

Deno.test("htmlToText() keeps the words, drops markup, scripts and styles", () => {
  assert.equal(
    htmlToText("<style>x{}</style><p>A &amp; B</p><script>evil()</script><p>&#65;&#x42;&quot;</p>"),
    'A & B\nAB"',
  );
});

Deno.test("parseMail() reads threading and loop headers", async () => {
  const mail = await parseMail(new TextEncoder().encode([
    "From: Ann <ANN@Example.test>",
    "Subject: Hi",
    "Message-ID: <m2@x>",
    "In-Reply-To: <m1@x>",
    "References: <m0@x> <m1@x>",
    "Auto-Submitted: Auto-Replied",
    "Precedence: Bulk",
    "",
    "Body",
  ].join("\r\n")));
  assert.equal(mail.messageId, "<m2@x>");
  assert.equal(mail.inReplyTo, "<m1@x>");
  assert.deepEqual(mail.references, ["<m0@x>", "<m1@x>"]);
  assert.deepEqual(mail.from, { address: "ann@example.test", name: "Ann" });
  assert.equal(mail.autoSubmitted, "auto-replied");
  assert.equal(mail.precedence, "bulk");
  assert.equal(mail.text, "Body");
});

Deno.test("encryptionKey() without ENCRYPTION_KEY keeps one generated key in DATA_DIR", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const a = await encryptionKey({ encryptionKey: undefined, dataDir });
    const b = await encryptionKey({ encryptionKey: undefined, dataDir });
    assert.equal(a, b);
    assert.ok(a.length >= 32);
    assert.equal((await Deno.stat(`${dataDir}/encryption_key`)).mode! & 0o777, 0o600);
    assert.equal(await encryptionKey({ encryptionKey: "given", dataDir }), "given");
    const box = await secretBox(a);
    assert.equal(await box.open(await box.seal("pw", "m1"), "m1"), "pw");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
