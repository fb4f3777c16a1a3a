import assert from "node:assert/strict";
import { findBinary } from "@tests/helpers/servers.ts";
import { testApp } from "@tests/helpers/app.ts";

const scriptBinary = findBinary("script", ["/usr/bin"]);

/** Reads the process output until `text` shows up; returns everything read so far. */
async function until(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  seen: string[],
  text: string,
) {
  const decoder = new TextDecoder();
  while (!seen.join("").includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Output ended before "${text}": ${seen.join("")}`);
    seen.push(decoder.decode(value));
  }
  return seen.join("");
}

Deno.test({
  name: "create-superadmin asks in a terminal for what is missing, hiding the password",
  ignore: scriptBinary === null,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-cli-" });
    const cli = new URL("../../src/cli/create_superadmin.ts", import.meta.url).pathname;
    // `script` gives the process a pseudo-terminal, as a person at a shell would have.
    const child = new Deno.Command(scriptBinary!, {
      args: ["-qec", `"${Deno.execPath()}" run -A "${cli}" --name Tty`, "/dev/null"],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
        ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
        DATA_DIR: dataDir,
        BCRYPT_COST: "4",
        NO_COLOR: "1",
        TERM: "dumb",
      },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const writer = child.stdin.getWriter();
    const reader = child.stdout.getReader();
    const seen: string[] = [];
    try {
      await until(reader, seen, "Email:");
      await writer.write(new TextEncoder().encode("tty@example.com\r"));
      await until(reader, seen, "Password");
      await writer.write(new TextEncoder().encode("quiet harbor falcon 93\r"));
      const out = await until(reader, seen, "Created SuperAdmin");
      assert.ok(!out.includes("quiet harbor falcon 93"), "the password is not echoed");
      await writer.close();
      reader.releaseLock();
      await child.stdout.cancel();
      assert.equal((await child.status).code, 0);
      const t = await testApp({ dataDir });
      try {
        const res = await t.call("POST", "/api/v1/auth/login", {
          json: { email: "tty@example.com", password: "quiet harbor falcon 93" },
        });
        assert.equal(res.status, 200);
      } finally {
        await t.close();
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
