import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** Where the data lives. Chosen by DATABASE_URL alone; both kinds run the same schema and migrations. */
export type DatabaseConfig =
  | {
      kind: "embedded";
      /** Directory PGlite persists to; `undefined` keeps everything in memory (tests, throwaway runs). */
      dataDir: string | undefined;
    }
  | {
      kind: "postgres";
      url: string;
      poolSize: number;
      /**
       * Longest a database operation may wait for a connection and its answer before failing as unavailable;
       * also bounds connecting, readiness and closing (see createDb).
       */
      timeoutMs: number;
      /**
       * Whether a caller's hang-up sends PostgreSQL a CancelRequest for its running statement (DATABASE_CANCEL_ON_HANGUP,
       * default on). Safe only when DATABASE_URL reaches PostgreSQL itself: a pooler may hand the backend to another
       * client before a late cancel arrives (docs/operations.md). Off, the statement runs to its end or its timeout.
       */
      cancelOnHangUp?: boolean;
      /** Streaming replicas that serve read-only operations (DATABASE_REPLICA_URLS); absent when there are none. */
      replicas?: ReplicaConfig;
    };

export interface ReplicaConfig {
  urls: string[];
  /** A replica further behind the primary than this serves no reads until it catches up (REPLICA_MAX_LAG_MS). */
  maxLagMs: number;
  /** How often each replica's health and position are checked (REPLICA_CHECK_INTERVAL_MS). */
  checkIntervalMs: number;
}

export const DEFAULT_DATA_DIR = "./data";
export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_REPLICA_MAX_LAG_MS = 5000;
export const DEFAULT_REPLICA_CHECK_INTERVAL_MS = 1000;

export class DatabaseConfigError extends Error {
  override name = "DatabaseConfigError";
  constructor(
    message: string,
    /** The environment variable at fault, when one is. */
    readonly variable?: string,
  ) {
    super(message);
  }
}

/**
 * Reads a DATABASE_URL:
 * - unset/empty → embedded PostgreSQL (PGlite) persisted in ./data
 * - `file:<dir>` → embedded, persisted in <dir> (relative to the working directory)
 * - `memory:` → embedded, in memory only
 * - `postgres://…` / `postgresql://…` → a PostgreSQL server
 */
export function parseDatabaseUrl(
  url: string | undefined,
  options: { poolSize?: number; timeoutMs?: number; cwd?: string } = {},
): DatabaseConfig {
  const cwd = options.cwd ?? process.cwd();
  const value = url?.trim() ?? "";
  if (value === "") return { kind: "embedded", dataDir: path.resolve(cwd, DEFAULT_DATA_DIR) };
  if (value === "memory:" || value === "memory://") return { kind: "embedded", dataDir: undefined };
  if (value.startsWith("file:")) {
    const dir = value.startsWith("file://") ? fileURLToPath(value) : value.slice("file:".length);
    if (dir === "")
      throw new DatabaseConfigError("DATABASE_URL 'file:' needs a directory, e.g. file:./data", "DATABASE_URL");
    return { kind: "embedded", dataDir: path.resolve(cwd, dir) };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new DatabaseConfigError(
        "DATABASE_URL is not a valid PostgreSQL URL (postgresql://user@host:5432/db)",
        "DATABASE_URL",
      );
    }
    return {
      kind: "postgres",
      url: value,
      poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
  }
  throw new DatabaseConfigError(
    `DATABASE_URL must be empty (embedded database in ./data), file:<dir>, memory:, or postgresql://…; got "${redact(value)}"`,
    "DATABASE_URL",
  );
}

/** A whole-number environment variable within bounds, with messages naming it. */
export const integerVariable = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);

/** The database's environment variables, for configurations that validate them together with their own. */
export const databaseEnv = z.object({
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: integerVariable("DATABASE_POOL_SIZE", 1, 1000).default(DEFAULT_POOL_SIZE),
  // Below ~100 ms a healthy server under load would fail; above 10 minutes nobody waits for an answer.
  DATABASE_TIMEOUT_MS: integerVariable("DATABASE_TIMEOUT_MS", 100, 600_000).default(DEFAULT_TIMEOUT_MS),
  // "off" behind a pooler (PgBouncer, a cloud proxy): a cancel request could reach another client's statement there.
  DATABASE_CANCEL_ON_HANGUP: z
    .enum(["on", "off"], { error: "DATABASE_CANCEL_ON_HANGUP must be on or off" })
    .default("on"),
  DATABASE_REPLICA_URLS: z.string().optional(),
  REPLICA_MAX_LAG_MS: integerVariable("REPLICA_MAX_LAG_MS", 0, 3_600_000).default(DEFAULT_REPLICA_MAX_LAG_MS),
  // Checks cost one tiny query per replica (and one on the primary) each time.
  REPLICA_CHECK_INTERVAL_MS: integerVariable("REPLICA_CHECK_INTERVAL_MS", 50, 60_000).default(
    DEFAULT_REPLICA_CHECK_INTERVAL_MS,
  ),
});

/**
 * The database settings from environment variables (DATABASE_URL, DATABASE_POOL_SIZE, DATABASE_TIMEOUT_MS).
 * An empty variable counts as unset. Throws DatabaseConfigError naming the first variable at fault.
 */
export function loadDatabaseConfig(
  env: Record<string, string | undefined>,
  options: { cwd?: string } = {},
): DatabaseConfig {
  const present = Object.fromEntries(
    Object.keys(databaseEnv.shape).flatMap((key) =>
      env[key] !== undefined && env[key] !== "" ? [[key, env[key]]] : [],
    ),
  );
  const parsed = databaseEnv.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? "");
    const got = present[variable];
    throw new DatabaseConfigError(`${issue.message}${got === undefined ? "" : `; got "${got}"`}`, variable);
  }
  return databaseConfigFrom(parsed.data, options);
}

/** The configuration from already validated variables (see databaseEnv). */
export function databaseConfigFrom(env: z.output<typeof databaseEnv>, options: { cwd?: string } = {}): DatabaseConfig {
  const config = parseDatabaseUrl(env.DATABASE_URL, {
    poolSize: env.DATABASE_POOL_SIZE,
    timeoutMs: env.DATABASE_TIMEOUT_MS,
    ...options,
  });
  if (config.kind === "postgres") config.cancelOnHangUp = env.DATABASE_CANCEL_ON_HANGUP === "on";
  const urls = parseReplicaUrls(env.DATABASE_REPLICA_URLS);
  if (urls.length === 0) return config;
  if (config.kind === "embedded") {
    throw new DatabaseConfigError(
      "DATABASE_REPLICA_URLS needs a PostgreSQL server in DATABASE_URL: the embedded database (PGlite) has no replicas",
      "DATABASE_REPLICA_URLS",
    );
  }
  return {
    ...config,
    replicas: { urls, maxLagMs: env.REPLICA_MAX_LAG_MS, checkIntervalMs: env.REPLICA_CHECK_INTERVAL_MS },
  };
}

/** DATABASE_REPLICA_URLS: comma-separated PostgreSQL URLs (blank entries ignored). */
function parseReplicaUrls(value: string | undefined): string[] {
  const urls = (value ?? "")
    .split(",")
    .map((url) => url.trim())
    .filter(Boolean);
  for (const url of urls) {
    if (!/^postgres(ql)?:\/\//.test(url) || !URL.canParse(url)) {
      throw new DatabaseConfigError(
        `DATABASE_REPLICA_URLS must list PostgreSQL URLs (postgresql://user@replica:5432/db, comma-separated); got "${redact(url)}"`,
        "DATABASE_REPLICA_URLS",
      );
    }
  }
  return urls;
}

/** A URL fit for logs: the password is replaced. */
/** URL parameters whose values are secrets (libpq's `password`, `sslpassword`…) or may hold one. */
const SECRET_PARAM = /pass|secret|token|key|credential|auth/i;

/** The URL with every secret in it (user-info password, secret-looking query parameters) replaced by `***`. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    for (const name of [...parsed.searchParams.keys()])
      if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, "***");
    // URLSearchParams writes `***` as `%2A%2A%2A`.
    return parsed.toString().replaceAll("%2A%2A%2A", "***");
  } catch {
    return url
      .replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@")
      .replace(/([?&][^=&#]*(?:pass|secret|token|key|credential|auth)[^=&#]*=)[^&#]*/gi, "$1***");
  }
}

export function describeDatabase(config: DatabaseConfig): string {
  if (config.kind === "postgres") {
    const replicas = config.replicas ? `, reads also from ${config.replicas.urls.map(redact).join(", ")}` : "";
    return `PostgreSQL ${redact(config.url)} (pool ${config.poolSize}, timeout ${config.timeoutMs} ms${replicas})`;
  }
  return config.dataDir
    ? `embedded PostgreSQL (PGlite) in ${config.dataDir}`
    : "embedded PostgreSQL (PGlite) in memory";
}
