import assert from "node:assert/strict";
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
  assert.equal(dummy.slice(0, 7), real.slice(0, 7));
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
