import {
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_RESPONSE_ROWS,
  HISTORY_LIMIT_DEFAULT,
} from "@memory-mirror/api/schemas";
import {
  type DatabaseConfig,
  databaseConfigFrom,
  DatabaseConfigError,
  databaseEnv,
  integerVariable,
} from "@memory-mirror/db";
import { availableParallelism } from "node:os";
import { z } from "zod";
import { hostNameOf, isLoopback } from "./loopback.ts";

const int = integerVariable;

const origins = z.string().transform((value, ctx) => {
  const list = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of list) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      ctx.addIssue({
        code: "custom",
        message: `CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com`,
      });
    }
  }
  return list;
});

/** A duration such as 7d, 12h, 30m or 45s (a bare number is seconds). */
const duration = (name: string) =>
  z.string().transform((value, ctx) => {
    const match = /^(\d{1,9})\s*(d|h|m|s|ms)?$/.exec(value.trim());
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[match?.[2] ?? "s"] ?? 1000;
    const ms = match ? Number(match[1]) * unit : NaN;
    if (!(ms >= 60_000 && ms <= 366 * 86_400_000)) {
      ctx.addIssue({ code: "custom", message: `${name} must be a duration from 1m to 366d, like 7d, 12h or 30m` });
      return z.NEVER;
    }
    return ms;
  });

const hostNames = z.string().transform((value, ctx) => {
  const list = value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const name of list) {
    if (hostNameOf(name) !== name) {
      ctx.addIssue({ code: "custom", message: `ALLOWED_HOSTS: "${name}" is not a host name like memory.example.com` });
    }
  }
  return list;
});

/**
 * Every setting the server reads, validated once at start so a typo fails loudly instead of misbehaving. The one
 * definition: each variable's bounds and default here, its meaning in the comment, and the ServerConfig type below
 * is inferred from the transform at the end. Add a variable by adding a line here and a field to the transform.
 */
const configSchema = z
  .object({
    PORT: int("PORT", 0, 65535).default(3000),
    // Loopback by default: nothing is exposed until an operator says so (HOST=0.0.0.0 in a container).
    HOST: z.string().min(1, "HOST must not be empty").default("127.0.0.1"),
    // DATABASE_URL, DATABASE_POOL_SIZE, DATABASE_TIMEOUT_MS, DATABASE_CANCEL_ON_HANGUP, and the replicas'
    // DATABASE_REPLICA_URLS, REPLICA_MAX_LAG_MS, REPLICA_CHECK_INTERVAL_MS (docs/replicas.md): one definition, shared
    // with `pnpm db:migrate`.
    ...databaseEnv.shape,
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    // Most calls one tRPC batch may hold (tRPC answers 400 beyond).
    MAX_BATCH_SIZE: int("MAX_BATCH_SIZE", 1, 10_000).default(DEFAULT_MAX_BATCH_SIZE),
    // Largest request body accepted (413 beyond).
    MAX_BODY_BYTES: int("MAX_BODY_BYTES", 1024, 1024 ** 3).default(DEFAULT_MAX_BODY_BYTES),
    // Most rows and bytes of text one request's answers may hold, across a batch (413 beyond).
    MAX_RESPONSE_ROWS: int("MAX_RESPONSE_ROWS", 1, 10_000_000).default(DEFAULT_MAX_RESPONSE_ROWS),
    MAX_RESPONSE_BYTES: int("MAX_RESPONSE_BYTES", 1024, 1024 ** 3).default(DEFAULT_MAX_RESPONSE_BYTES),
    // How long stop() waits for in-flight requests before cutting connections.
    SHUTDOWN_TIMEOUT_MS: int("SHUTDOWN_TIMEOUT_MS", 0, 600_000).default(10_000),
    // Whether calls need an API key; unset means "required" unless HOST is loopback (see the transform).
    AUTH: z.enum(["required", "off"], { error: 'AUTH must be "required" or "off"' }).optional(),
    // How long a verified key is trusted without the database (revocation takes this long to bite).
    KEY_CACHE_MS: int("KEY_CACHE_MS", 0, 60_000).default(3000),
    // Calls per key (per address without auth) per minute; 0 turns rate limiting off.
    RATE_LIMIT_PER_MINUTE: int("RATE_LIMIT_PER_MINUTE", 0, 100_000_000).default(60_000),
    // Calls one key (one space with AUTH=off) may run at once in this process; half the pool when unset.
    KEY_CONCURRENCY: int("KEY_CONCURRENCY", 1, 10_000).optional(),
    // How long a call beyond its key's share waits for a slot before it is refused (429).
    KEY_QUEUE_MS: int("KEY_QUEUE_MS", 0, 60_000).default(2000),
    // Where rate-limit counters live: this process, or the database (shared by every server using it).
    RATE_LIMIT_STORE: z
      .enum(["memory", "database"], { error: 'RATE_LIMIT_STORE must be "memory" or "database"' })
      .default("memory"),
    // Browser origins allowed to call the API (CORS); none by default.
    CORS_ORIGINS: origins.default([]),
    // Host names (besides loopback ones) the API answers in its Host header while authentication is off.
    ALLOWED_HOSTS: hostNames.default([]),
    // Earlier versions kept per analysis; 0 keeps none.
    HISTORY_LIMIT: int("HISTORY_LIMIT", 0, 10_000).default(HISTORY_LIMIT_DEFAULT),
    // How long the change log keeps changes; resuming from an older one asks the client to resync.
    CHANGES_RETENTION: duration("CHANGES_RETENTION").default(7 * 86_400_000),
    // Open change streams this process serves at most, and per key (per address without auth); 429 beyond.
    MAX_STREAMS: int("MAX_STREAMS", 0, 1_000_000).default(10_000),
    MAX_STREAMS_PER_KEY: int("MAX_STREAMS_PER_KEY", 0, 1_000_000).default(100),
    // Changes waiting for one stream beyond which it is cut as too slow (it resumes from its last id).
    STREAM_MAX_QUEUED: int("STREAM_MAX_QUEUED", 1, 1_000_000).default(1000),
    // Milliseconds with no request or stream in progress after which the server collects its garbage to give idle
    // memory back (collect-at-rest.ts); 0 turns it off. The full collection comes COLLECT_AT_REST_SETTLE_MS later
    // (above V8's 5 s, so the young generation can shrink).
    COLLECT_AT_REST_MS: int("COLLECT_AT_REST_MS", 0, 86_400_000).default(30_000),
    COLLECT_AT_REST_SETTLE_MS: int("COLLECT_AT_REST_SETTLE_MS", 0, 600_000).default(6000),
    // Server processes sharing the port (Node's cluster): a number, or "auto" for one per core. 1 by default, and
    // the only choice with the embedded database, which belongs to one process.
    WORKERS: z
      .preprocess((value) => (value === "auto" ? availableParallelism() : value), int("WORKERS", 1, 256))
      .default(1),
  })
  .transform((e, ctx) => {
    let database: DatabaseConfig;
    try {
      database = databaseConfigFrom(e);
    } catch (error) {
      const variable = error instanceof DatabaseConfigError ? error.variable : undefined;
      ctx.addIssue({ code: "custom", path: [variable ?? "DATABASE_URL"], message: (error as Error).message });
      return z.NEVER;
    }
    if (e.WORKERS > 1 && database.kind === "embedded") {
      ctx.addIssue({
        code: "custom",
        path: ["WORKERS"],
        message:
          `WORKERS=${e.WORKERS} needs a PostgreSQL server (DATABASE_URL=postgresql://…): ` +
          "the embedded database belongs to one process",
      });
      return z.NEVER;
    }
    // Redis's protected mode: open only on loopback unless an operator says otherwise, in so many words.
    const auth = e.AUTH ?? (isLoopback(e.HOST) ? "off" : "required");
    return {
      port: e.PORT,
      host: e.HOST,
      database,
      logLevel: e.LOG_LEVEL,
      maxBatchSize: e.MAX_BATCH_SIZE,
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxResponseRows: e.MAX_RESPONSE_ROWS,
      maxResponseBytes: e.MAX_RESPONSE_BYTES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      auth,
      // AUTH=off chosen for a server reachable from other machines: start-up warns loudly.
      authOffExposed: auth === "off" && !isLoopback(e.HOST),
      keyCacheMs: e.KEY_CACHE_MS,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      rateLimitStore: e.RATE_LIMIT_STORE,
      // No caller takes more than half the connections, so another always finds some (the embedded database has
      // one connection: there the share keeps one caller's calls from all queueing ahead of another's).
      keyConcurrency: e.KEY_CONCURRENCY ?? Math.max(1, Math.floor(e.DATABASE_POOL_SIZE / 2)),
      keyQueueMs: e.KEY_QUEUE_MS,
      corsOrigins: e.CORS_ORIGINS,
      allowedHosts: e.ALLOWED_HOSTS,
      historyLimit: e.HISTORY_LIMIT,
      changesRetentionMs: e.CHANGES_RETENTION,
      maxStreams: e.MAX_STREAMS,
      maxStreamsPerKey: e.MAX_STREAMS_PER_KEY,
      streamMaxQueued: e.STREAM_MAX_QUEUED,
      workers: e.WORKERS,
      collectAtRest:
        e.COLLECT_AT_REST_MS > 0 ? { restMs: e.COLLECT_AT_REST_MS, settleMs: e.COLLECT_AT_REST_SETTLE_MS } : undefined,
    };
  });

/** The server's configuration, as the schema above produces it. */
export type ServerConfig = z.output<typeof configSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads the configuration from environment variables; throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  // An empty variable means "not set", as in most shells' and .env files' conventions.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
