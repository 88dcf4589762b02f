import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RESPONSE_ROWS } from "@memory-mirror/api";
import { DEFAULT_MAX_BATCH_SIZE, HISTORY_LIMIT_DEFAULT } from "@memory-mirror/api/schemas";
import { type DatabaseConfig, databaseConfigFrom, databaseEnv, integerVariable } from "@memory-mirror/db";
import { z } from "zod";

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

/** Every setting the server reads, validated once at start so a typo fails loudly instead of misbehaving. */
const envSchema = z.object({
  PORT: int("PORT", 0, 65535).default(3000),
  // Loopback by default: nothing is exposed until an operator says so (HOST=0.0.0.0 in a container).
  HOST: z.string().min(1, "HOST must not be empty").default("127.0.0.1"),
  // DATABASE_URL, DATABASE_POOL_SIZE, DATABASE_TIMEOUT_MS: one definition, shared with `pnpm db:migrate`.
  ...databaseEnv.shape,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MAX_BATCH_SIZE: int("MAX_BATCH_SIZE", 1, 10_000).default(DEFAULT_MAX_BATCH_SIZE),
  MAX_BODY_BYTES: int("MAX_BODY_BYTES", 1024, 1024 ** 3).default(1024 * 1024),
  MAX_RESPONSE_ROWS: int("MAX_RESPONSE_ROWS", 1, 10_000_000).default(DEFAULT_MAX_RESPONSE_ROWS),
  MAX_RESPONSE_BYTES: int("MAX_RESPONSE_BYTES", 1024, 1024 ** 3).default(DEFAULT_MAX_RESPONSE_BYTES),
  SHUTDOWN_TIMEOUT_MS: int("SHUTDOWN_TIMEOUT_MS", 0, 600_000).default(10_000),
  AUTH: z.enum(["required", "off"], { error: 'AUTH must be "required" or "off"' }).optional(),
  KEY_CACHE_MS: int("KEY_CACHE_MS", 0, 60_000).default(3000),
  RATE_LIMIT_PER_MINUTE: int("RATE_LIMIT_PER_MINUTE", 0, 100_000_000).default(60_000),
  RATE_LIMIT_STORE: z
    .enum(["memory", "database"], { error: 'RATE_LIMIT_STORE must be "memory" or "database"' })
    .default("memory"),
  CORS_ORIGINS: origins.default([]),
  HISTORY_LIMIT: int("HISTORY_LIMIT", 0, 10_000).default(HISTORY_LIMIT_DEFAULT),
  CHANGES_RETENTION: duration("CHANGES_RETENTION").default(7 * 86_400_000),
  MAX_STREAMS: int("MAX_STREAMS", 0, 1_000_000).default(10_000),
  MAX_STREAMS_PER_KEY: int("MAX_STREAMS_PER_KEY", 0, 1_000_000).default(100),
  STREAM_MAX_QUEUED: int("STREAM_MAX_QUEUED", 1, 1_000_000).default(1000),
});

export type AuthMode = "required" | "off";

export interface ServerConfig {
  port: number;
  host: string;
  database: DatabaseConfig;
  logLevel: z.output<typeof envSchema>["LOG_LEVEL"];
  /** Most calls one tRPC batch may hold (tRPC answers 400 beyond). */
  maxBatchSize: number;
  /** Largest request body accepted (413 beyond). */
  maxBodyBytes: number;
  /** Most rows and bytes of text one request's answers may hold, across a batch (413 beyond). */
  maxResponseRows: number;
  maxResponseBytes: number;
  /** How long stop() waits for in-flight requests before cutting connections. */
  shutdownTimeoutMs: number;
  /** Whether calls need an API key. */
  auth: AuthMode;
  /** True when AUTH=off was chosen for a server reachable from other machines: start-up warns loudly. */
  authOffExposed: boolean;
  /** How long a verified key is trusted without the database (revocation takes this long to bite). */
  keyCacheMs: number;
  /** Calls per key (per address without auth) per minute; 0 turns rate limiting off. */
  rateLimitPerMinute: number;
  /** Where rate-limit counters live: this process, or the database (shared by replicas). */
  rateLimitStore: "memory" | "database";
  /** Browser origins allowed to call the API (CORS); none by default. */
  corsOrigins: string[];
  /** Earlier versions kept per analysis; 0 keeps none. */
  historyLimit: number;
  /** How long the change log keeps changes (ms); resuming from an older one asks the client to resync. */
  changesRetentionMs: number;
  /** Open change streams this process serves at most, and per key (per address without auth); 429 beyond. */
  maxStreams: number;
  maxStreamsPerKey: number;
  /** Changes waiting for one stream beyond which it is cut as too slow (it resumes from its last id). */
  streamMaxQueued: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;
export const isLoopback = (host: string): boolean => LOOPBACK.test(host);

/** Reads the configuration from environment variables; throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  // An empty variable means "not set", as in most shells' and .env files' conventions.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  let database: DatabaseConfig;
  try {
    database = databaseConfigFrom(e);
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  DATABASE_URL: ${(error as Error).message}`);
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
    authOffExposed: auth === "off" && !isLoopback(e.HOST),
    keyCacheMs: e.KEY_CACHE_MS,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    rateLimitStore: e.RATE_LIMIT_STORE,
    corsOrigins: e.CORS_ORIGINS,
    historyLimit: e.HISTORY_LIMIT,
    changesRetentionMs: e.CHANGES_RETENTION,
    maxStreams: e.MAX_STREAMS,
    maxStreamsPerKey: e.MAX_STREAMS_PER_KEY,
    streamMaxQueued: e.STREAM_MAX_QUEUED,
  };
}
