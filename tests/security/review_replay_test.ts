import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, password } from "@tests/helpers/identity.ts";
import { freePort } from "@tests/helpers/servers.ts";
import { startProcess } from "@tests/helpers/process.ts";
import { connect } from "@tests/helpers/ws.ts";
import { reviewHosts } from "@tests/helpers/hosts.ts";

/**
 * The outside review's requests, replayed against the real server process: every frame that
 * stopped it, tokens with forged claims, and mailbox hosts that reach internal networks. The
 * process must answer /health/live throughout and refuse each of them.
 */

const secret = "replay-secret-that-is-long-enough-for-hs256";

const prototypeNames = Object.getOwnPropertyNames(Object.prototype);

async function startServer(dataDir: string, port: number): Promise<Deno.ChildProcess> {
  const child = startProcess({
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    ENCRYPTION_KEY: "replay-encryption-key-that-is-32-chars-or-more",
    BCRYPT_COST: "4",
    CRONS_ENABLED: "false",
    LOG_LEVEL: "error",
    RATE_LIMIT_MAX: "1000000",
    RATE_LIMIT_USER_MAX: "1000000",
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
    await res?.body?.cancel();
    if (res?.status === 200) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error("the server did not become ready");
}

/** Asks /health/live every 50 ms until stopped; counts the answers that were not 200. */
function watchLiveness(base: string) {
  let stop = false;
  const failures: string[] = [];
  let asked = 0;
  const done = (async () => {
    while (!stop) {
      asked++;
      const res = await fetch(`${base}/health/live`).catch((err) => String(err));
      if (typeof res === "string") failures.push(res);
      else {
        if (res.status !== 200) failures.push(`status ${res.status}`);
        await res.body?.cancel();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      stop = true;
      await done;
      return { asked, failures };
    },
  };
}

Deno.test("the review's frames, forged tokens and internal hosts leave the server up", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-replay-" });
  // The tenant is written into the server's SQLite file by an in-process app on the same file.
  const seeded = await testApp({ dataDir, env: { JWT_SECRET: secret } });
  const tenant = await aTenant(seeded);
  const other = await aTenant(seeded, "Other");
  await seeded.close();
  const port = freePort();
  const server = await startServer(dataDir, port);
  const base = `http://127.0.0.1:${port}`;
  const liveness = watchLiveness(base);
  let watched = { asked: 0, failures: [] as string[] };
  let alive = false;
  let stderr = "";
  const login = async (email: string) => {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.token as string;
  };
  try {
    // Item 1: every Object.prototype name as an event, on a customer's socket.
    const customer = await connect(
      `ws://127.0.0.1:${port}`,
      await login(tenant.users.Customer.email),
    );
    // An answer, or the socket closing (as it did when the process died), whichever comes first.
    const answer = (event: string) =>
      Promise.race([
        customer.request(event, {}),
        customer.closed.then((code) => Promise.reject(new Error(`socket closed with ${code}`))),
      ]);
    try {
      for (const event of prototypeNames) {
        await assert.rejects(answer(event), (err: Error) => {
          assert.match(err.message, /Unknown event/, event);
          return true;
        });
      }
      // The socket still works: a ping is answered.
      assert.equal(typeof (await answer("ping")).at, "string");
    } finally {
      await customer.close();
    }

    // Item 2: a real signature on claims the user does not have.
    const agentToken = await login(tenant.users.Agent.email);
    const real = JSON.parse(atob(agentToken.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    const key = new TextEncoder().encode(secret);
    const forge = (claims: Record<string, unknown>) =>
      new SignJWT({ ...real, ...claims }).setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(key);
    const forged = [
      await forge({ role: "Admin" }),
      await forge({ role: "SuperAdmin", org: null }),
      await forge({ org: other.org.id }),
    ];
    for (const token of forged) {
      for (const path of ["/api/v1/admin/agents", "/api/v1/reports/dashboard"]) {
        const res = await fetch(`${base}${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await res.body?.cancel();
        assert.ok([401, 403].includes(res.status), `${path} with a forged token: ${res.status}`);
      }
      const platform = await fetch(`${base}/api/v1/superadmin/organizations`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await platform.body?.cancel();
      assert.ok([401, 403].includes(platform.status), `superadmin: ${platform.status}`);
    }

    // Item 3: mailbox hosts on internal networks are refused, never connected to.
    const admin = await login(tenant.users.Admin.email);
    const call = (method: string, path: string, json?: unknown) =>
      fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    for (const [i, host] of reviewHosts.entries()) {
      const made = await call("POST", "/email-config", {
        name: `Internal ${i}`,
        email: `internal-${i}@desk.test`,
        imap: { host, port: 143, secure: false, user: "support", password: "secret-imap-1" },
        smtp: { host, port: 25, secure: false },
        pollingEnabled: false,
      });
      const mailbox = await made.json();
      assert.equal(made.status, 201, JSON.stringify(mailbox));
      const tested = await call("POST", `/email-config/${mailbox.id}/test`);
      const result = await tested.json();
      assert.equal(tested.status, 200, JSON.stringify(result));
      for (const side of ["imap", "smtp"] as const) {
        assert.equal(result[side].ok, false, `${host} ${side}`);
        assert.match(result[side].error, /polic/i, `${host} ${side}: ${result[side].error}`);
      }
    }
  } finally {
    watched = await liveness.stop();
    alive = await Promise.race([
      server.status.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), 100)),
    ]);
    if (alive) server.kill("SIGTERM");
    stderr = new TextDecoder().decode((await server.output()).stderr);
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  assert.ok(alive, `the server exited: ${stderr}`);
  assert.ok(watched.asked > 0);
  assert.deepEqual(watched.failures, []);
});
