/**
 * Domain errors: what went wrong in the service's own terms, with no transport in them. Each transport maps the
 * kind once (tRPC codes in trpc.ts, FastAPI statuses in the REST layer, tool errors in MCP).
 */
export type DomainErrorKind =
  "not_found" | "conflict" | "invalid" | "unavailable" | "unauthorized" | "forbidden" | "too_large" | "client_closed";

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  /** Seconds after which the same request may well succeed (HTTP's Retry-After), for failures that pass. */
  readonly retryAfterSeconds?: number;
}

/** The thing asked for does not exist. */
export class NotFoundError extends DomainError {
  override name = "NotFoundError";
  readonly kind = "not_found";
}

/** The write contradicts what is stored (a duplicate key). */
export class ConflictError extends DomainError {
  override name = "ConflictError";
  readonly kind = "conflict";
}

/**
 * A create found the videoId taken: REST answers it with the original service's fixed text. Other conflicts (a write
 * that lost its race again and again) say what happened in their own words.
 */
export class AlreadyExistsError extends ConflictError {
  override name = "AlreadyExistsError";
}

/**
 * A write's expectedVersion (REST: If-Match) is stale: the analysis changed since the caller read it. Names what is
 * stored now (null when nothing is), so the caller can read it again and decide.
 */
export class VersionConflictError extends ConflictError {
  override name = "VersionConflictError";
  constructor(
    message: string,
    readonly current: { id: string; version: number } | null,
  ) {
    super(message);
  }
}

/** One problem with the input, found by the service rather than by the input schema. */
export interface InputIssue {
  /** Dotted path of the field, e.g. `description`; `(input)` for the input as a whole. */
  path: string;
  message: string;
}

/** Input the schemas let through but the service cannot accept. */
export class InvalidInputError extends DomainError {
  override name = "InvalidInputError";
  readonly kind = "invalid";
  constructor(
    readonly issues: InputIssue[],
    options?: ErrorOptions,
  ) {
    super(issues.map((i) => i.message).join("; "), options);
  }
}

/** The database cannot serve anyone right now: the server's trouble, worth a retry. */
export class UnavailableError extends DomainError {
  override name = "UnavailableError";
  readonly kind = "unavailable";
  constructor(message = "The database is not reachable; try again", options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The database stopped a statement at its time bound (statement_timeout, SQLSTATE 57014): it is reachable, but this
 * request's work (or a lock it waited on) took longer than one request may.
 */
export class StatementTimeoutError extends UnavailableError {
  override name = "StatementTimeoutError";
  constructor(
    message = "The database took too long on this request and stopped it (DATABASE_TIMEOUT_MS): try again in a " +
      "moment, or ask for less at once",
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A search stopped at its time bound (statement_timeout): the server's protection, worth a smaller retry. */
export class SearchTimeoutError extends StatementTimeoutError {
  override name = "SearchTimeoutError";
  /** `afterMs`: how long the search ran, as its caller measured it. */
  constructor(afterMs: number, options?: ErrorOptions) {
    super(
      `The search was stopped after ${(afterMs / 1000).toFixed(1)} s, past the time one search may take: ` +
        "try fewer words, or more common ones",
      options,
    );
  }
}

/**
 * Every pooled connection was in use: the request waited for one, and what time was left ran out before the answer
 * came. The database is reachable; it was busy.
 */
export class BusyError extends UnavailableError {
  override name = "BusyError";
  override readonly retryAfterSeconds = 1;
  constructor(options?: ErrorOptions) {
    super(
      "The database is busy: this request waited for a free connection, then ran out of time (DATABASE_TIMEOUT_MS) " +
        "before the answer came; try again in a moment",
      options,
    );
  }
}

/**
 * The database rolled the request back because it collided with concurrent writes (a deadlock, 40P01, or a
 * serialization failure, 40001), again after every retry the service made: nothing changed, and the same request
 * may well succeed when sent again. The database is reachable; saying otherwise sent operators looking for an outage.
 */
export class WriteConflictError extends UnavailableError {
  override name = "WriteConflictError";
  override readonly retryAfterSeconds = 1;
  /** `attempts`: how many times the service ran it before giving up (1 when it does not retry by itself). */
  constructor(attempts: number, options?: ErrorOptions) {
    super(
      "This request collided with concurrent writes to the same data (a deadlock or serialization failure)" +
        (attempts > 1 ? `, ${attempts} times in a row,` : "") +
        " and the database rolled it back: nothing changed; send it again",
      options,
    );
  }
}

/** No credentials, or credentials that match no live key. */
export class UnauthorizedError extends DomainError {
  override name = "UnauthorizedError";
  readonly kind = "unauthorized";
}

/** A known caller asking for something its key does not allow. */
export class ForbiddenError extends DomainError {
  override name = "ForbiddenError";
  readonly kind = "forbidden";
}

/** The answer would exceed a documented limit; the message names the limit. */
export class TooLargeError extends DomainError {
  override name = "TooLargeError";
  readonly kind = "too_large";
}

/**
 * The caller hung up and its statement was cancelled or never started (ServiceContext.signal): nobody reads this
 * answer, and it is no fault of the server's (HTTP 499, as a call that left the line of its share).
 */
export class ClientClosedError extends DomainError {
  override name = "ClientClosedError";
  readonly kind = "client_closed";
  constructor(options?: ErrorOptions) {
    super("The client closed the connection before its answer", options);
  }
}
