import { z } from "zod";
import { parseCidrs } from "@/net/egress.ts";

/** Thrown by `loadConfig`: one line that names the variable and what is wrong with it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) =>
  v === "true" || v === "1" || v === "yes"
);
const int = (min: number, max: number) =>
  z.string().regex(/^\d+$/, "expected an integer").transform(Number).pipe(
    z.number().min(min, `expected an integer from ${min} to ${max}`).max(
      max,
      `expected an integer from ${min} to ${max}`,
    ),
  );
const duration = z.string().regex(
  /^\d+(s|m|h|d)$/,
  'expected a duration such as "15m", "12h" or "7d"',
);
const list = z.string().transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean));
const cidrs = list.superRefine((entries, ctx) => {
  try {
    parseCidrs(entries);
  } catch (err) {
    ctx.addIssue({
      code: "custom",
      message: `expected comma-separated CIDRs: ${(err as Error).message}`,
    });
  }
});

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(0, 65535).default(5000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  MONGODB_URI: z.string().regex(
    /^mongodb(\+srv)?:\/\/\S+$/,
    'expected a URI such as "mongodb://host:27017/chatcrm"',
  ).optional(),
  MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, "expected a database name").optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'expected a URL such as "redis://host:6379"')
    .optional(),
  /** Redis Sentinel: the sentinels to ask for the current primary (REDIS_URL then gives its login). */
  REDIS_SENTINELS: z.string().regex(
    /^\s*[^\s:,]+:\d{1,5}\s*(,\s*[^\s:,]+:\d{1,5}\s*)*$/,
    'expected sentinels such as "sentinel-1:26379,sentinel-2:26379"',
  ).optional(),
  REDIS_SENTINEL_NAME: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default("mymaster"),
  /** The sentinels themselves speak TLS (their `tls-port`), verified like the primary. */
  REDIS_SENTINEL_TLS: bool.default(false),
  /** PEM file of the CA(s) that sign the Redis server's certificate (with `rediss://`). */
  REDIS_TLS_CA_FILE: z.string().min(1).max(4096).optional(),
  JWT_SECRET: z.string().min(1).optional(),
  JWT_EXPIRE: duration.default("1h"),
  REFRESH_EXPIRE: duration.default("30d"),
  ENCRYPTION_KEY: z.string().min(1).optional(),
  BCRYPT_COST: int(4, 15).default(10),
  CORS_ORIGIN: list.default(["http://localhost:3000"]),
  TRUST_PROXY: bool.default(false),
  BODY_LIMIT_BYTES: int(1024, 100 * 1024 * 1024).default(1024 * 1024),
  UPLOAD_LIMIT_BYTES: int(1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
  AVATAR_LIMIT_BYTES: int(1024, 100 * 1024 * 1024).default(2 * 1024 * 1024),
  RATE_LIMIT_WINDOW_SECONDS: int(1, 86400).default(60),
  RATE_LIMIT_MAX: int(1, 1_000_000).default(3000),
  RATE_LIMIT_USER_MAX: int(1, 1_000_000).default(600),
  LOGIN_FAILURE_WINDOW_SECONDS: int(1, 86400).default(900),
  LOGIN_FAILURE_LIMIT: int(1, 10_000).default(10),
  LOGIN_IP_FAILURE_LIMIT: int(1, 100_000).default(20),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  CRONS_ENABLED: bool.default(true),
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "expected letters, digits, _ . -")
    .optional(),
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: int(1, 65535).default(587),
  SMTP_SECURE: bool.default(false),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  /** The seed's name for SMTP_PASSWORD, read when that is not set. */
  SMTP_PASS: z.string().min(1).optional(),
  SMTP_FROM: z.string().min(3).default("ChatCRM <no-reply@localhost>"),
  WS_RATE_PER_SECOND: int(1, 10_000).default(20),
  WS_RATE_BURST: int(1, 100_000).default(60),
  WS_MAX_BUFFERED_BYTES: int(16 * 1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
  WS_BATCH_DELAY_MS: int(0, 1000).default(0),
  CALL_RING_SECONDS: int(1, 600).default(30),
  PRESENCE_TTL_SECONDS: int(1, 3600).default(30),
  AGENT_RECONNECT_GRACE_SECONDS: int(0, 86400).default(120),
  FILES_STORE: z.enum(["auto", "disk", "store"]).default("auto"),
  WS_RESYNC_SECONDS: int(1, 3600).default(5),
  IMAP_POLL_SECONDS: int(5, 86400).default(60),
  IMAP_TIMEOUT_SECONDS: int(1, 600).default(30),
  /** One mailbox configured by environment (the seed's way), made or updated at start. */
  IMAP_HOST: z.string().min(1).max(253).optional(),
  IMAP_PORT: int(1, 65535).optional(),
  IMAP_SECURE: bool.optional(),
  IMAP_USER: z.string().min(1).max(320).optional(),
  IMAP_PASS: z.string().min(1).max(1024).optional(),
  IMAP_PASSWORD: z.string().min(1).max(1024).optional(),
  IMAP_ORGANIZATION: z.string().min(1).max(64).optional(),
  IMAP_EMAIL: z.email().max(254).optional(),
  OUTBOUND_ALLOWED_CIDRS: cidrs.default([]),
  WEBHOOK_DISABLE_AFTER: duration.default("5d"),
  WEBHOOK_SECRET_GRACE: duration.default("24h"),
  METRICS_TOKEN: z.string().min(16, "expected at least 16 characters").optional(),
  EXPORT_XLSX_MAX_ROWS: int(1, 1_000_000).default(100_000),
});

export type Env = Record<string, string | undefined>;

/** The typed configuration every other module receives; nothing else reads the environment. */
export interface Config {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  dataDir: string;
  /** Where uploads go: `disk` (DATA_DIR/uploads), `store` (GridFS on MongoDB), `auto`. */
  filesStore: "auto" | "disk" | "store";
  instanceId: string | undefined;
  mongo: { uri: string; db: string | undefined } | undefined;
  redisUrl: string | undefined;
  /** Set when Redis is reached through Sentinel: the sentinels and the primary's name. */
  redisSentinel:
    | { sentinels: { host: string; port: number }[]; name: string; tls: boolean }
    | undefined;
  /** The PEM file that verifies a `rediss://` server, when the system's CAs do not. */
  redisTlsCaFile: string | undefined;
  jwt: { secret: string | undefined; expiresIn: string; refreshExpiresIn: string };
  encryptionKey: string | undefined;
  bcryptCost: number;
  corsOrigins: string[];
  trustProxy: boolean;
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  /** Largest accepted avatar image. */
  avatarLimitBytes: number;
  rateLimit: {
    windowSeconds: number;
    /** Requests per window from one address, signed in or not. */
    max: number;
    /** Requests per window of one signed-in user or API key, wherever they come from. */
    userMax: number;
    /** The window failed logins are counted in (longer than the API's: guessing is slow). */
    loginWindowSeconds: number;
    loginFailures: number;
    /** Failed logins per window from one address, whatever the emails. */
    addressLoginFailures: number;
  };
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  cronsEnabled: boolean;
  smtp: {
    host: string | undefined;
    port: number;
    secure: boolean;
    user: string | undefined;
    password: string | undefined;
    from: string;
  };
  imap: { pollSeconds: number; timeoutSeconds: number };
  /** The mailbox of `IMAP_*`, for the organization of `IMAP_ORGANIZATION` (its slug). */
  envMailbox:
    | {
      organization: string;
      email: string;
      host: string;
      port: number;
      secure: boolean;
      user: string;
      password: string;
    }
    | undefined;
  /** Internal networks tenants' mail servers (and webhooks) may reach despite the egress policy. */
  outboundAllowedCidrs: string[];
  webhooks: {
    /** An endpoint failing every attempt for this long is disabled and its Admins told. */
    disableAfterSeconds: number;
    /** How long the secret before a rotation still signs deliveries. */
    secretGraceSeconds: number;
  };
  /** The Bearer token `/metrics` asks for; the route is absent when it is not set. */
  metricsToken: string | undefined;
  /** Rows an .xlsx export may hold; a larger one is refused (CSV has no bound). */
  xlsxMaxRows: number;
  realtime: {
    ratePerSecond: number;
    rateBurst: number;
    maxBufferedBytes: number;
    /** Batched sockets: how long a pending event waits for more before its frame goes (0: the turn). */
    batchDelayMs: number;
    callRingSeconds: number;
    presenceTtlSeconds: number;
    /** How long an agent whose connection dropped keeps her queries, waiting for her back. */
    reconnectGraceSeconds: number;
    /** How often rooms with members here are compared with the store (messages never published). */
    resyncSeconds: number;
  };
}

/** Parses the environment into a `Config`, or throws one `ConfigError` line naming the variable. */
export function loadConfig(env: Env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in envSchema.shape && v !== undefined && v !== ""),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    // Secrets and connection strings (which may hold a password) are named, never echoed.
    const shown = /SECRET|PASS|KEY|TOKEN|URI|URL/.test(name) ? "" : ` "${present[name] ?? ""}"`;
    throw new ConfigError(`Invalid ${name}${shown}: ${issue.message}`);
  }
  const e = parsed.data;
  const imapPassword = e.IMAP_PASSWORD ?? e.IMAP_PASS;
  if (e.IMAP_HOST) {
    const missing = [
      ["IMAP_USER", e.IMAP_USER],
      ["IMAP_PASS", imapPassword],
      ["IMAP_ORGANIZATION", e.IMAP_ORGANIZATION],
    ].filter(([, v]) => !v).map(([k]) => k);
    if (missing.length) {
      throw new ConfigError(`IMAP_HOST is set, so ${missing.join(", ")} must be set too`);
    }
    if (!e.IMAP_EMAIL && !e.IMAP_USER!.includes("@")) {
      throw new ConfigError("IMAP_USER is not an email address, so IMAP_EMAIL must name one");
    }
  }
  if (e.REDIS_SENTINEL_TLS && !e.REDIS_SENTINELS) {
    throw new ConfigError("REDIS_SENTINEL_TLS is set, so REDIS_SENTINELS must name the sentinels");
  }
  if (e.REDIS_TLS_CA_FILE && !e.REDIS_URL?.startsWith("rediss://")) {
    throw new ConfigError(
      'REDIS_TLS_CA_FILE is set, so REDIS_URL must be set and start with "rediss://"',
    );
  }
  if (e.NODE_ENV === "production") {
    for (const name of ["JWT_SECRET", "ENCRYPTION_KEY"] as const) {
      if ((e[name]?.length ?? 0) < 32) {
        throw new ConfigError(`${name} must be set to at least 32 characters in production`);
      }
    }
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    filesStore: e.FILES_STORE,
    instanceId: e.INSTANCE_ID,
    mongo: e.MONGODB_URI ? { uri: e.MONGODB_URI, db: e.MONGODB_DB } : undefined,
    redisUrl: e.REDIS_URL,
    redisSentinel: e.REDIS_SENTINELS
      ? {
        sentinels: e.REDIS_SENTINELS.split(",").map((s) => {
          const [host, port] = s.trim().split(":");
          return { host: host!, port: Number(port) };
        }),
        name: e.REDIS_SENTINEL_NAME,
        tls: e.REDIS_SENTINEL_TLS,
      }
      : undefined,
    redisTlsCaFile: e.REDIS_TLS_CA_FILE,
    jwt: { secret: e.JWT_SECRET, expiresIn: e.JWT_EXPIRE, refreshExpiresIn: e.REFRESH_EXPIRE },
    encryptionKey: e.ENCRYPTION_KEY,
    bcryptCost: e.BCRYPT_COST,
    corsOrigins: e.CORS_ORIGIN,
    trustProxy: e.TRUST_PROXY,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    uploadLimitBytes: e.UPLOAD_LIMIT_BYTES,
    avatarLimitBytes: e.AVATAR_LIMIT_BYTES,
    rateLimit: {
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      max: e.RATE_LIMIT_MAX,
      userMax: e.RATE_LIMIT_USER_MAX,
      loginWindowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
      loginFailures: e.LOGIN_FAILURE_LIMIT,
      addressLoginFailures: e.LOGIN_IP_FAILURE_LIMIT,
    },
    logLevel: e.LOG_LEVEL,
    cronsEnabled: e.CRONS_ENABLED,
    smtp: {
      host: e.SMTP_HOST,
      port: e.SMTP_PORT,
      secure: e.SMTP_SECURE,
      user: e.SMTP_USER,
      password: e.SMTP_PASSWORD ?? e.SMTP_PASS,
      from: e.SMTP_FROM,
    },
    imap: { pollSeconds: e.IMAP_POLL_SECONDS, timeoutSeconds: e.IMAP_TIMEOUT_SECONDS },
    envMailbox: e.IMAP_HOST
      ? {
        organization: e.IMAP_ORGANIZATION!,
        email: (e.IMAP_EMAIL ?? e.IMAP_USER!).toLowerCase(),
        host: e.IMAP_HOST,
        port: e.IMAP_PORT ?? ((e.IMAP_SECURE ?? true) ? 993 : 143),
        secure: e.IMAP_SECURE ?? (e.IMAP_PORT === undefined || e.IMAP_PORT === 993),
        user: e.IMAP_USER!,
        password: imapPassword!,
      }
      : undefined,
    outboundAllowedCidrs: e.OUTBOUND_ALLOWED_CIDRS,
    webhooks: {
      disableAfterSeconds: durationSeconds(e.WEBHOOK_DISABLE_AFTER),
      secretGraceSeconds: durationSeconds(e.WEBHOOK_SECRET_GRACE),
    },
    metricsToken: e.METRICS_TOKEN,
    xlsxMaxRows: e.EXPORT_XLSX_MAX_ROWS,
    realtime: {
      ratePerSecond: e.WS_RATE_PER_SECOND,
      rateBurst: e.WS_RATE_BURST,
      maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      batchDelayMs: e.WS_BATCH_DELAY_MS,
      callRingSeconds: e.CALL_RING_SECONDS,
      presenceTtlSeconds: e.PRESENCE_TTL_SECONDS,
      reconnectGraceSeconds: e.AGENT_RECONNECT_GRACE_SECONDS,
      resyncSeconds: e.WS_RESYNC_SECONDS,
    },
  };
}

/** Seconds in a duration such as "15m" or "7d". */
export function durationSeconds(value: string): number {
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[value.slice(-1) as "s" | "m" | "h" | "d"];
  return Number(value.slice(0, -1)) * unit;
}
