import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { passwordLength, passwordProblem } from "@/modules/auth/password_policy.ts";
import {
  dummyHash,
  hashPassword,
  keyedHash,
  randomCode,
  verifyPassword,
} from "@/modules/auth/passwords.ts";

Deno.test("dummyHash() costs what a real hash of the same cost does (no timing oracle)", async () => {
  const real = await hashPassword("some password", 6);
  const dummy = await dummyHash(6);
  assert.match(real, /^hmac-sha256\$\$2[aby]\$06\$/);
  assert.equal(dummy.slice(0, 19), real.slice(0, 19));
  assert.equal(await verifyPassword("some password", dummy), false);
  assert.equal(await dummyHash(6), dummy, "made once per cost");
});

Deno.test("randomCode() is six digits; keyedHash() depends on the key", async () => {
  for (let i = 0; i < 50; i++) assert.match(randomCode(), /^\d{6}$/);
  const a = await keyedHash(new TextEncoder().encode("key-a"), "123456");
  const b = await keyedHash(new TextEncoder().encode("key-b"), "123456");
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, b);
});

Deno.test("hashPassword() counts every character: no cut at bcrypt's 72 bytes", async () => {
  const long = "ünïcödé passphrase ".repeat(6); // 114 characters, 150 bytes
  const hash = await hashPassword(`${long}a`, 4);
  assert.equal(await verifyPassword(`${long}a`, hash), true);
  assert.equal(await verifyPassword(`${long}b`, hash), false);
  const legacy = await bcrypt.hash("an older password", 4);
  assert.equal(await verifyPassword("an older password", legacy), true, "older hashes still work");
  assert.equal(await verifyPassword("another password", legacy), false);
});

Deno.test("passwordProblem() follows ASVS: 12 to 128 characters, nothing common or breached", async () => {
  for (const weak of ["password", "12345678", " ".repeat(8), " ".repeat(20), "password1234"]) {
    assert.ok(await passwordProblem(weak), JSON.stringify(weak));
  }
  for (const common of ["Password123!", "qwertyuiop123", "iloveyou2024", "aaaaaaaaaaaaaaaa"]) {
    assert.match(String(await passwordProblem(common)), /too common/, common);
  }
  assert.equal(passwordLength("a  b      c"), 5, "a run of spaces counts as one");
  assert.match(String(await passwordProblem("a  b      c d e f")), /at least 12/);
  for (const fine of ["correct horse battery", "kX9#mP2$vL5q", "🦊 orange lantern 🚲 drift"]) {
    assert.equal(await passwordProblem(fine), null, fine);
  }
  const sixtyFour = "the quiet ferry leaves at dawn while gulls argue over bread ok!!";
  assert.equal([...sixtyFour].length, 64);
  assert.equal(await passwordProblem(sixtyFour), null);
  const random = Array.from(crypto.getRandomValues(new Uint8Array(64)), (b) => b.toString(16))
    .join("").padEnd(128, "q");
  assert.equal(await passwordProblem(random), null, "128 characters");
  assert.match(String(await passwordProblem(`${random}y`)), /at most 128/);
});
