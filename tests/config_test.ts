import assert from "node:assert/strict";
import { ConfigError, durationSeconds, loadConfig } from "@/config.ts";

const secret = "s".repeat(32);

Deno.test("loadConfig() gives the embedded defaults for an empty environment", () => {
  const config = loadConfig({});
  assert.equal(config.port, 5000);
  assert.equal(config.dataDir, "./data");
  assert.equal(config.mongo, undefined);
  assert.equal(config.redisUrl, undefined);
  assert.equal(config.env, "development");
  assert.equal(config.jwt.expiresIn, "1h");
  assert.deepEqual(config.corsOrigins, ["http://localhost:3000"]);
  assert.equal(config.trustProxy, false);
});

Deno.test("loadConfig() reads every kind of variable", () => {
  const config = loadConfig({
    PORT: "8080",
    MONGODB_URI: "mongodb://db:27017/chatcrm",
    REDIS_URL: "redis://cache:6379",
    CORS_ORIGIN: "https://a.example, https://b.example",
    TRUST_PROXY: "true",
    JWT_EXPIRE: "15m",
    SMTP_HOST: "smtp.example",
    SMTP_PORT: "2525",
  });
  assert.equal(config.port, 8080);
  assert.deepEqual(config.mongo, { uri: "mongodb://db:27017/chatcrm", db: undefined });
  assert.equal(config.redisUrl, "redis://cache:6379");
  assert.deepEqual(config.corsOrigins, ["https://a.example", "https://b.example"]);
  assert.equal(config.trustProxy, true);
  assert.equal(durationSeconds(config.jwt.expiresIn), 900);
  assert.equal(config.smtp.host, "smtp.example");
  assert.equal(config.smtp.port, 2525);
});

const bad: [Record<string, string>, string][] = [
  [{ PORT: "abc" }, 'Invalid PORT "abc": expected an integer'],
  [{ PORT: "70000" }, 'Invalid PORT "70000": expected an integer from 0 to 65535'],
  [
    { WS_BATCH_DELAY_MS: "5000" },
    'Invalid WS_BATCH_DELAY_MS "5000": expected an integer from 0 to 1000',
  ],
  [{ MONGODB_URI: "nonsense" }, "Invalid MONGODB_URI: expected a URI"],
  [{ REDIS_URL: "localhost" }, "Invalid REDIS_URL: expected a URL"],
  [{ JWT_EXPIRE: "soon" }, 'Invalid JWT_EXPIRE "soon": expected a duration'],
  [{ TRUST_PROXY: "maybe" }, 'Invalid TRUST_PROXY "maybe"'],
  [{ NODE_ENV: "staging" }, 'Invalid NODE_ENV "staging"'],
  [{ NODE_ENV: "production", ENCRYPTION_KEY: secret }, "JWT_SECRET must be set to at least 32"],
  [
    { NODE_ENV: "production", JWT_SECRET: "short", ENCRYPTION_KEY: secret },
    "JWT_SECRET must be set to at least 32",
  ],
  [{ NODE_ENV: "production", JWT_SECRET: secret }, "ENCRYPTION_KEY must be set to at least 32"],
];

for (const [env, message] of bad) {
  Deno.test(`loadConfig() rejects ${JSON.stringify(env)} with one line naming the variable`, () => {
    assert.throws(() => loadConfig(env), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.message.startsWith(message), err.message);
      assert.ok(!err.message.includes("\n"));
      return true;
    });
  });
}

Deno.test("loadConfig() never echoes a secret's value in its message", () => {
  assert.throws(
    () => loadConfig({ MONGODB_URI: "mongo://user:hunter2@db" }),
    (err: Error) => !err.message.includes("hunter2"),
  );
});

Deno.test("loadConfig() accepts production with long secrets", () => {
  const config = loadConfig({ NODE_ENV: "production", JWT_SECRET: secret, ENCRYPTION_KEY: secret });
  assert.equal(config.env, "production");
  assert.equal(config.jwt.secret, secret);
});

Deno.test("loadConfig() reads the seed's SMTP_PASS when SMTP_PASSWORD is not set", () => {
  assert.equal(loadConfig({ SMTP_PASS: "from-the-seed" }).smtp.password, "from-the-seed");
  assert.equal(
    loadConfig({ SMTP_PASS: "from-the-seed", SMTP_PASSWORD: "ours" }).smtp.password,
    "ours",
  );
});
