import { errorCode, TRPCClientError } from "@memory-mirror/client";

/** Exit codes, documented in `mm --help`; scripts branch on them, so they never change meaning. */
export const ExitCode = {
  ok: 0,
  /** Anything else: the server failed, answered oddly, or the CLI itself broke. */
  error: 1,
  /** Bad arguments or input the server rejected (BAD_REQUEST). */
  usage: 2,
  notFound: 3,
  unreachable: 4,
  /** No key, an invalid one, or a key without the scope or space asked for. */
  notAllowed: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: its message is printed as is, without a stack trace. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** Turns whatever a command threw into the message and exit code a shell user should see. */
export function explain(error: unknown, url: string, timeoutSeconds: number): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof TRPCClientError) {
    const code = errorCode(error);
    if (code === "NOT_FOUND") return new CliError(error.message, ExitCode.notFound);
    if (code === "BAD_REQUEST") return new CliError(error.message, ExitCode.usage);
    if (code === "UNAUTHORIZED") {
      return new CliError(`${error.message} (set MM_API_KEY or --api-key)`, ExitCode.notAllowed);
    }
    if (code === "FORBIDDEN") return new CliError(error.message, ExitCode.notAllowed);
    if (code) return new CliError(`server error (${code}): ${error.message}`, ExitCode.error);
    if (error.cause instanceof DOMException && error.cause.name === "TimeoutError") {
      return new CliError(
        `Memory Mirror at ${url} did not answer within ${timeoutSeconds} s (--timeout)`,
        ExitCode.unreachable,
      );
    }
    // fetch rejects with a TypeError when no HTTP answer came back at all (refused, DNS, reset).
    if (error.cause instanceof TypeError) {
      const reason = networkReason(error.cause);
      return new CliError(
        `cannot reach Memory Mirror at ${url} (is the server running? pnpm start)${reason ? `: ${reason}` : ""}`,
        ExitCode.unreachable,
      );
    }
    return new CliError(
      `unexpected answer from ${url} (is it a Memory Mirror server?): ${error.message}`,
      ExitCode.error,
    );
  }
  // A bug in the CLI: keep the stack, it is what a bug report needs.
  return new CliError(error instanceof Error ? (error.stack ?? error.message) : String(error), ExitCode.error);
}

/**
 * True for failures a later attempt may not meet: no HTTP answer at all (a connection reset, say), or a server
 * asking to be called again (database unavailable, rate limit). Only idempotent calls may be retried on it.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return false;
  const code = errorCode(error);
  if (code) return code === "SERVICE_UNAVAILABLE" || code === "TOO_MANY_REQUESTS";
  return error.cause instanceof TypeError;
}

/** The system error code (ECONNREFUSED, ENOTFOUND, …) buried in fetch's cause chain, if any. */
function networkReason(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const { code, errors, cause } = e as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof code === "string") return code;
    // Connecting to several addresses (localhost → ::1 and 127.0.0.1) fails with an AggregateError.
    e = cause ?? errors?.[0];
  }
  return (error as { cause?: { message?: string } }).cause?.message;
}
