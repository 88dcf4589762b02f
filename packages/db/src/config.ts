import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where the data lives. Chosen by DATABASE_URL alone; both kinds run the same schema and migrations. */
export type DatabaseConfig =
  | {
      kind: "embedded";
      /** Directory PGlite persists to; `undefined` keeps everything in memory (tests, throwaway runs). */
      dataDir: string | undefined;
    }
  | { kind: "postgres"; url: string; poolSize: number };

export const DEFAULT_DATA_DIR = "./data";
export const DEFAULT_POOL_SIZE = 10;

export class DatabaseConfigError extends Error {
  override name = "DatabaseConfigError";
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
  options: { poolSize?: number; cwd?: string } = {},
): DatabaseConfig {
  const cwd = options.cwd ?? process.cwd();
  const value = url?.trim() ?? "";
  if (value === "") return { kind: "embedded", dataDir: path.resolve(cwd, DEFAULT_DATA_DIR) };
  if (value === "memory:" || value === "memory://") return { kind: "embedded", dataDir: undefined };
  if (value.startsWith("file:")) {
    const dir = value.startsWith("file://") ? fileURLToPath(value) : value.slice("file:".length);
    if (dir === "") throw new DatabaseConfigError("DATABASE_URL 'file:' needs a directory, e.g. file:./data");
    return { kind: "embedded", dataDir: path.resolve(cwd, dir) };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new DatabaseConfigError("DATABASE_URL is not a valid PostgreSQL URL (postgresql://user@host:5432/db)");
    }
    return { kind: "postgres", url: value, poolSize: options.poolSize ?? DEFAULT_POOL_SIZE };
  }
  throw new DatabaseConfigError(
    `DATABASE_URL must be empty (embedded database in ./data), file:<dir>, memory:, or postgresql://…; got "${redact(value)}"`,
  );
}

/** A URL fit for logs: the password is replaced. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
  }
}

export function describeDatabase(config: DatabaseConfig): string {
  if (config.kind === "postgres") return `PostgreSQL ${redact(config.url)} (pool ${config.poolSize})`;
  return config.dataDir ? `embedded PostgreSQL (PGlite) in ${config.dataDir}` : "embedded PostgreSQL (PGlite) in memory";
}
