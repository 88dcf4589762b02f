import { type DatabaseConfig, DEFAULT_POOL_SIZE, DEFAULT_TIMEOUT_MS, parseDatabaseUrl } from "@memory-mirror/db";
import { z } from "zod";

const int = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);

/** Every setting the server reads, validated once at start so a typo fails loudly instead of misbehaving. */
const envSchema = z.object({
  PORT: int("PORT", 0, 65535).default(3000),
  // Loopback by default: nothing is exposed until an operator says so (HOST=0.0.0.0 in a container).
  HOST: z.string().min(1, "HOST must not be empty").default("127.0.0.1"),
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: int("DATABASE_POOL_SIZE", 1, 1000).default(DEFAULT_POOL_SIZE),
  DATABASE_TIMEOUT_MS: int("DATABASE_TIMEOUT_MS", 100, 600_000).default(DEFAULT_TIMEOUT_MS),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MAX_BATCH_SIZE: int("MAX_BATCH_SIZE", 1, 10_000).default(100),
  MAX_BODY_BYTES: int("MAX_BODY_BYTES", 1024, 1024 ** 3).default(1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: int("SHUTDOWN_TIMEOUT_MS", 0, 600_000).default(10_000),
});

export interface ServerConfig {
  port: number;
  host: string;
  database: DatabaseConfig;
  logLevel: z.output<typeof envSchema>["LOG_LEVEL"];
  /** Most calls one tRPC batch may hold (tRPC answers 400 beyond). */
  maxBatchSize: number;
  /** Largest request body accepted (413 beyond). */
  maxBodyBytes: number;
  /** How long stop() waits for in-flight requests before cutting connections. */
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

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
    database = parseDatabaseUrl(e.DATABASE_URL, { poolSize: e.DATABASE_POOL_SIZE, timeoutMs: e.DATABASE_TIMEOUT_MS });
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  DATABASE_URL: ${(error as Error).message}`);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    database,
    logLevel: e.LOG_LEVEL,
    maxBatchSize: e.MAX_BATCH_SIZE,
    maxBodyBytes: e.MAX_BODY_BYTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}
