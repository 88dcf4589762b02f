import { databaseErrorKind } from "@memory-mirror/db";
import {
  BusyError,
  ClientClosedError,
  type DomainError,
  InvalidInputError,
  StatementTimeoutError,
  UnavailableError,
  WriteConflictError,
} from "./errors.ts";

/** What a domain says about the database failures only it can phrase (whose key collided, what was missing). */
export interface DatabaseErrorWording {
  conflict?: () => DomainError;
  notFound?: () => DomainError;
  /** How many times the caller ran the statement before giving up on a deadlock (it retries them itself). */
  attempts?: number;
}

/**
 * Rethrows a failed query as a domain error when the database explains it; anything else propagates unchanged
 * (and ends as an internal error). Generic kinds (unavailable, a value too long or out of range) need no wording.
 */
export function rethrowDatabaseError(error: unknown, wording: DatabaseErrorWording = {}): never {
  switch (databaseErrorKind(error)) {
    case "unavailable":
      throw new UnavailableError(undefined, { cause: error });
    case "transient": // still deadlocking after the caller's own retries: worth a retry later
      throw new WriteConflictError(wording.attempts ?? 1, { cause: error });
    case "timed_out": // a statement_timeout its caller did not word (search words its own)
      throw new StatementTimeoutError(undefined, { cause: error });
    case "busy":
      throw new BusyError({ cause: error });
    case "cancelled": // the caller hung up (ServiceContext.signal)
      throw new ClientClosedError({ cause: error });
    case "value_too_long":
      throw new InvalidInputError([{ path: "(input)", message: "A value is too long for its column" }], {
        cause: error,
      });
    case "value_out_of_range":
      throw new InvalidInputError([{ path: "(input)", message: "A value is out of range for its column" }], {
        cause: error,
      });
    case "value_malformed":
      throw new InvalidInputError(
        [
          {
            path: "(input)",
            message:
              "A value is not one the database can store or read (a NUL character, a lone surrogate, or a date-time " +
              "it cannot parse)",
          },
        ],
        // Kept for the server's log: PostgreSQL raises these codes for our own statements' mistakes too.
        { cause: error },
      );
    case "unique_violation":
      if (wording.conflict) throw wording.conflict();
      break;
    case "not_found":
      if (wording.notFound) throw wording.notFound();
      break;
  }
  throw error;
}
