/**
 * Why the server could not start, in one line a person can act on: the cause and the fix. Start-up failures are
 * nearly always configuration (a port in use, a database that is down, missing, or refuses the role), and a JSON
 * stack trace hides that.
 */
import { DatabaseConfigError, DatabaseTimeoutError, redact } from "@memory-mirror/db";
import type { ServerConfig } from "./config.ts";
import { ListenError } from "./server.ts";

interface Found {
  code?: string;
  message: string;
}

/** Every error in a cause/AggregateError chain, outermost first. */
function* chain(error: unknown, depth = 0): Generator<Found> {
  if (depth > 8 || error === null || typeof error !== "object") return;
  const e = error as {
    code?: unknown;
    errorCode?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
    meta?: unknown;
  };
  // Prisma's initialization errors carry their code (P1000…) as errorCode.
  const code = typeof e.code === "string" ? e.code : typeof e.errorCode === "string" ? e.errorCode : undefined;
  yield {
    ...(code !== undefined ? { code } : {}),
    message: typeof e.message === "string" ? e.message : "",
  };
  const adapter = (
    e.meta as { driverAdapterError?: { cause?: { originalCode?: unknown; originalMessage?: unknown } } } | undefined
  )?.driverAdapterError?.cause;
  if (adapter && typeof adapter.originalCode === "string") {
    yield {
      code: adapter.originalCode,
      message: typeof adapter.originalMessage === "string" ? adapter.originalMessage : "",
    };
  }
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chain(inner, depth + 1);
  yield* chain(e.cause, depth + 1);
}

function where(config: ServerConfig): { server: string; database: string; user: string } {
  if (config.database.kind !== "postgres") return { server: "the embedded database", database: "", user: "" };
  const url = new URL(config.database.url);
  return {
    server: `PostgreSQL at ${url.host}`,
    database: decodeURIComponent(url.pathname.slice(1)),
    user: decodeURIComponent(url.username),
  };
}

export function explainStartupError(error: unknown, config: ServerConfig): string {
  const found = [...chain(error)];
  const has = (code: string) => found.some((f) => f.code === code);
  const said = (pattern: RegExp) => found.some((f) => pattern.test(f.message));
  const { server, database, user } = where(config);
  const fixUrl = config.database.kind === "postgres" ? ` (DATABASE_URL=${redact(config.database.url)})` : "";

  if (error instanceof ListenError) {
    if (has("EADDRINUSE"))
      return `Port ${config.port} on ${config.host} is in use by another process: stop it, or set PORT to another port (PORT=0 picks a free one)`;
    if (has("EACCES")) return `Listening on port ${config.port} needs privileges: set PORT to 1024 or above`;
    if (has("EADDRNOTAVAIL"))
      return `HOST=${config.host} is not an address of this machine: use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`;
    if (has("ENOTFOUND") || has("EAI_AGAIN"))
      return `HOST=${config.host} cannot be resolved to an address: use 127.0.0.1, 0.0.0.0 or a name this machine resolves`;
    return `Could not listen on ${config.host}:${config.port}: ${found.at(-1)?.message ?? String(error)}`;
  }
  if (error instanceof DatabaseConfigError) return error.message;
  if (has("ENOTFOUND") || has("EAI_AGAIN"))
    return `The database host in DATABASE_URL cannot be resolved${fixUrl}: check the host name`;
  if (has("ECONNREFUSED")) return `${server} refused the connection: is it running and listening there?${fixUrl}`;
  if (found.some((f) => f.code === "ETIMEDOUT") || error instanceof DatabaseTimeoutError) {
    return `${server} did not answer in time (DATABASE_TIMEOUT_MS): is it reachable from here?${fixUrl}`;
  }
  if (has("3D000"))
    return `Database "${database}" does not exist on ${server.replace("PostgreSQL at ", "")}: create it (createdb ${database}) or fix DATABASE_URL`;
  // 28P01 from PostgreSQL; P1000 when Prisma reports it ("Authentication failed against database server").
  if (has("28P01") || has("P1000") || said(/password authentication failed|Authentication failed against/i))
    return `${server} refused the password of role "${user}": fix the user or password in DATABASE_URL`;
  if (has("28000"))
    return `${server} does not let role "${user}" connect (unknown role, or pg_hba.conf): fix the user in DATABASE_URL or the server's access rules`;
  if (said(/extension "vector" is not available|could not open extension control file .*vector/)) {
    return `${server} has no pgvector extension, which Memory Mirror needs for embeddings: install it on the server (package postgresql-<version>-pgvector, or build it from source), then start again`;
  }
  if (has("42501") && said(/extension/)) {
    return `Role "${user}" may not create the pgvector extension (it is not a trusted extension): run CREATE EXTENSION vector; once in database "${database}" as a superuser, then start again`;
  }
  const first = found.find((f) => f.message)?.message ?? String(error);
  return `Memory Mirror could not start: ${first}`;
}
