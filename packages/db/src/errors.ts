/**
 * What a database error means for a caller, whichever layer raised it: Prisma's known-request errors, Prisma 7's
 * driver-adapter errors (carried in `meta.driverAdapterError`, or thrown raw), node-postgres / PGlite errors,
 * socket errors, and our own timeout. Prisma maps only some of these (a raw query's refused connection is
 * P2010, "Connection terminated unexpectedly" comes through unwrapped), so the kind is read from every layer.
 */
export type DatabaseErrorKind =
  | "unavailable"
  | "unique_violation"
  | "not_found"
  | "value_too_long"
  | "value_out_of_range"
  /**
   * A value PostgreSQL cannot store or read: 22P02, text it cannot read as its type (a lone surrogate's escape in
   * json); 22P05, NUL or an unsupported Unicode escape in jsonb/text; 22021, an invalid byte sequence; 22007 and
   * 22009, a date-time it cannot parse. The schemas refuse these first; this is the net behind them.
   */
  | "value_malformed"
  /** A deadlock or serialization failure: the same statement may well succeed when run again. */
  | "transient"
  /** A statement stopped by statement_timeout (57014): the work it was given was too much for the time it had. */
  | "timed_out"
  /** A statement that waited for a free pooled connection, then ran out of time (DatabaseBusyError). */
  | "busy"
  /** A statement its caller gave up on (its abort signal): cancelled on the server, or never started. */
  | "cancelled";

/** Thrown when the database did not answer within DATABASE_TIMEOUT_MS (see createDb). */
export class DatabaseTimeoutError extends Error {
  override name = "DatabaseTimeoutError";
  readonly code = "ETIMEDOUT";
  constructor(
    readonly timeoutMs: number,
    what = "answer",
  ) {
    super(`The database did not ${what} within ${timeoutMs} ms (DATABASE_TIMEOUT_MS)`);
  }
}

/**
 * Thrown when a statement that first waited for a free pooled connection is cut by this client's own timeout: the
 * wait left it less time than the server's statement_timeout, so the server could not stop it first and say why.
 * The pool was busy; nothing says the database is unreachable.
 */
export class DatabaseBusyError extends Error {
  override name = "DatabaseBusyError";
  constructor(
    readonly waitedMs: number,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(
      `The statement waited ${Math.round(waitedMs)} ms for a free connection, then ran out of the ${timeoutMs} ms ` +
        "it may take in all (DATABASE_TIMEOUT_MS)",
      options,
    );
  }
}

/**
 * Thrown for a statement whose caller's signal aborted (a client that hung up): never started, or cancelled on
 * PostgreSQL while it ran or waited (a CancelRequest; its 57014 is the cause). Not a fault of the database's.
 */
export class StatementCancelledError extends Error {
  override name = "StatementCancelledError";
  constructor(options?: ErrorOptions) {
    super("The statement was cancelled: its caller gave up on it", options);
  }
}

/** Prisma codes: P1xxx are connection-level; P2024 is a pool timeout, P2037 too many connections. */
function fromPrismaCode(code: string): DatabaseErrorKind | undefined {
  if (code === "P2002") return "unique_violation";
  if (code === "P2025") return "not_found";
  if (code === "P2000") return "value_too_long";
  if (code === "P2034") return "transient";
  if (/^P1\d{3}$/.test(code) || code === "P2024" || code === "P2037") return "unavailable";
  return undefined;
}

/** Driver-adapter error kinds (@prisma/driver-adapter-utils), as @prisma/adapter-pg and the PGlite adapter raise them. */
const UNAVAILABLE_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "DatabaseDoesNotExist",
  "DatabaseAccessDenied",
  "AuthenticationFailed",
  "TlsConnectionError",
]);

function fromAdapterKind(kind: string): DatabaseErrorKind | undefined {
  if (UNAVAILABLE_KINDS.has(kind)) return "unavailable";
  if (kind === "UniqueConstraintViolation") return "unique_violation";
  if (kind === "LengthMismatch") return "value_too_long";
  if (kind === "ValueOutOfRange") return "value_out_of_range";
  if (kind === "TransactionWriteConflict") return "transient";
  return undefined;
}

/**
 * SQLSTATEs: connection exceptions (08), shutdown / cannot connect now / statement timeout (57), too many
 * connections (53300), database gone (3D000). A statement cancelled by statement_timeout (57014) is its own kind:
 * the statement's cost, not the database's state (callers that do not set a timeout treat it as unavailable).
 */
function fromSqlState(state: string): DatabaseErrorKind | undefined {
  if (state === "23505") return "unique_violation";
  if (state === "22001") return "value_too_long";
  // A number too large for its column (22003), a date out of the timestamp's range (22008).
  if (state === "22003" || state === "22008") return "value_out_of_range";
  if (["22P02", "22P05", "22021", "22007", "22009"].includes(state)) return "value_malformed";
  if (state === "40P01" || state === "40001") return "transient";
  if (state.startsWith("08") || state === "53300" || state === "3D000") return "unavailable";
  if (state === "57014") return "timed_out";
  if (state === "57P01" || state === "57P02" || state === "57P03") return "unavailable";
  return undefined;
}

/** Node socket errors: the server is not there, went away, or does not answer. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
]);

/** node-postgres and pg-pool raise these as plain Errors, without a code. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout"
  /^Query read timeout$/, // query_timeout
  /^timeout exceeded when trying to connect$/, // pool checkout (connectionTimeoutMillis)
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
  /^PGlite is closed$/,
];

type Fields = {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  severity?: unknown;
  cause?: unknown;
  meta?: unknown;
  errorCode?: unknown;
};

function kindOf(value: object): DatabaseErrorKind | undefined {
  const e = value as Fields;
  const name = typeof e.name === "string" ? e.name : "";
  const code = typeof e.code === "string" ? e.code : undefined;
  // By name: it may come from another copy of this module (source and built), and carries the read timeout as cause.
  if (name === "DatabaseBusyError") return "busy";
  if (name === "StatementCancelledError") return "cancelled";
  if (name.startsWith("PrismaClient")) {
    const prismaCode = code ?? (typeof e.errorCode === "string" ? e.errorCode : undefined); // InitializationError: errorCode
    const kind = prismaCode ? fromPrismaCode(prismaCode) : undefined;
    if (kind) return kind;
  }
  if (name === "DriverAdapterError" && e.cause && typeof e.cause === "object") {
    const cause = e.cause as { kind?: unknown; originalCode?: unknown; code?: unknown };
    if (typeof cause.kind === "string") {
      const kind = fromAdapterKind(cause.kind);
      if (kind) return kind;
      // kind "postgres": the server's SQLSTATE
      const state =
        typeof cause.originalCode === "string"
          ? cause.originalCode
          : typeof cause.code === "string"
            ? cause.code
            : undefined;
      if (state && /^[0-9][0-9A-Z]{4}$/.test(state)) return fromSqlState(state);
    }
  }
  if (code) {
    if (SOCKET_CODES.has(code)) return "unavailable";
    // SQLSTATEs start with a digit ("EPIPE" has five letters too).
    if (/^[0-9][0-9A-Z]{4}$/.test(code)) {
      const kind = fromSqlState(code);
      if (kind) return kind;
    }
  }
  if (value instanceof DatabaseTimeoutError) return "unavailable";
  const message = typeof e.message === "string" ? e.message : "";
  if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return "unavailable";
  return undefined;
}

/** Every error this one carries: `cause` chains, AggregateError members, Prisma's `meta.driverAdapterError`. */
function carried(value: object): unknown[] {
  const e = value as Fields;
  const inner: unknown[] = [];
  if (e.meta && typeof e.meta === "object") inner.push((e.meta as { driverAdapterError?: unknown }).driverAdapterError);
  if (value instanceof AggregateError) inner.push(...(value.errors as unknown[]));
  inner.push(e.cause);
  return inner;
}

/**
 * What kind of database failure `error` is, looking through wrappers: the outermost error that says wins
 * (a Prisma P2025 is "not_found" whatever it wraps). `undefined` for anything else (a bug, bad input…).
 */
export function databaseErrorKind(error: unknown): DatabaseErrorKind | undefined {
  const seen = new Set<object>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const next = queue.shift();
    if (next === null || typeof next !== "object" || seen.has(next)) continue;
    seen.add(next);
    const kind = kindOf(next);
    if (kind) return kind;
    queue.push(...carried(next));
  }
  return undefined;
}
