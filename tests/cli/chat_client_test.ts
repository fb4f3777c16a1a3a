import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { skipRedis, startRedis } from "@tests/helpers/redis.ts";
import { aDesk, anAgent, openQuery } from "@tests/helpers/support.ts";
import { password } from "@tests/helpers/identity.ts";

/** The terminal chat client as a child process, its output read line by line. */
function chatClient(url: string, email: string, reference: string, extra: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../src/cli/chat_client.ts", import.meta.url).pathname,
      "--url",
      url,
      "--email",
      email,
      "--password",
      password,
      "--query",
      reference,
      ...extra,
    ],
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const errors = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const reading = (async () => {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.re.test(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    }
  })();
  const writer = child.stdin.getWriter();
  // A client that exits fails the wait for its next line, with what it printed.
  const exited = Promise.all([child.status, reading, errors]).then(([status]) => {
    throw new Error(`the client exited (${status.code}):\n${lines.join("\n")}\n${stderr}`);
  });
  exited.catch(() => {});
  return {
    lines,
    line(re: RegExp): Promise<string> {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      // A safety net, not a timing assertion: a stuck client fails with what it printed.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`no line matching ${re} in 60 s:\n${lines.join("\n")}\n${stderr}`)),
          60_000,
        );
      });
      return Promise.race([
        new Promise<string>((resolve) => waiters.push({ re, resolve })),
        exited,
        stuck,
      ]).finally(() => clearTimeout(timer));
    },
    say: (text: string) => writer.write(new TextEncoder().encode(`${text}\n`)),
    async stop() {
      await writer.close().catch(() => {});
      await child.status;
      await reading;
      await errors;
    },
  };
}

Deno.test({
  name:
    "two terminal chat clients, one plain and one batched, talk through two instances on one Redis",
  ignore: skipRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await startRedis();
    const a = await testApp({ env: { REDIS_URL: redis.url } });
    const b = await testApp({ dataDir: a.deps.config.dataDir, env: { REDIS_URL: redis.url } });
    const servers = [serve(a.app), serve(b.app)];
    try {
      const desk = await aDesk(a);
      const agent = await anAgent(desk);
      const query = await openQuery(desk);
      const customer = chatClient(servers[0]!.url, desk.users.Customer.email, query.reference);
      await customer.line(/\(plain frames\); type a line to send it/);
      // Said before the agent connects: the agent's batched client gets them as a backlog.
      for (const text of ["first", "second", "third"]) {
        await customer.say(text);
        await customer.line(new RegExp(`me: ${text}$`));
      }
      const staff = chatClient(servers[1]!.url, agent.user.email, query.reference, [
        "--protocol",
        "batched",
      ]);
      try {
        await staff.line(/\(batched frames\); type a line to send it/);
        const history = staff.lines.filter((l) => /Customer .*: (first|second|third)$/.test(l));
        assert.deepEqual(history.map((l) => l.split(": ").at(-1)), ["first", "second", "third"]);
        await customer.say("Hello from instance A");
        const heard = await staff.line(/Hello from instance A/);
        assert.match(heard, /Customer .*: Hello from instance A/);
        await staff.say("Hi, this is instance B");
        await customer.line(/Agent .*: Hi, this is instance B/);
        await customer.line(/read up to/);
      } finally {
        await customer.stop();
        await staff.stop();
      }
    } finally {
      await b.close();
      await a.close();
      for (const s of servers) await s.close();
      await redis.stop();
    }
  },
});

Deno.test("the terminal chat client refuses an unknown --protocol before connecting", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../src/cli/chat_client.ts", import.meta.url).pathname,
      "--url",
      "http://127.0.0.1:9",
      ...["--email", "a@example.com", "--password", password, "--query", "Q-000001"],
      ...["--protocol", "carrier-pigeon"],
    ],
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 1);
  assert.match(
    new TextDecoder().decode(stderr),
    /Cannot use --protocol "carrier-pigeon": expected plain or batched/,
  );
});
