/** An error whose message is written for the model and shown as it stands (e.g. "cannot reach Memory Mirror at …"). */
export class ToolError extends Error {
  override name = "ToolError";
}

/** What a model sees when the service failed in a way that is not its to fix; the details go to the host's log. */
export const INTERNAL_ERROR_MESSAGE = "Internal server error";

export interface Failure {
  /** The tool error's text. */
  message: string;
  /** The service broke (not the caller's input or the data): worth logging, never worth showing. */
  internal: boolean;
  /**
   * A refusal that passes (rate limited, the key's share busy, the database busy or a write collision): the seconds
   * after which the same call may well succeed, as HTTP's Retry-After says.
   */
  retryAfterSeconds?: number;
}

const seconds = (value: unknown): number | undefined => {
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

/**
 * The codes of refusals that pass: a rate limit or a full share (TOO_MANY_REQUESTS), the database busy or a write
 * collision (SERVICE_UNAVAILABLE, WriteConflictError included). Any other code's failure stays until something
 * changes, whatever header came with the response it arrived in (a batch's answer is shared by its calls).
 */
const PASSING = new Set(["TOO_MANY_REQUESTS", "SERVICE_UNAVAILABLE"]);

/**
 * When the call may be sent again: an in-process TRPCError's cause (the service's DomainError) says so itself; a
 * TRPCClientError's HTTP answer says so in Retry-After (tRPC keeps the response in `meta`).
 */
function retryAfterOf(error: Error, code: string): number | undefined {
  if (!PASSING.has(code)) return undefined;
  if (error.name === "TRPCError")
    return seconds((error.cause as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds);
  const meta = (error as { meta?: { response?: { headers?: { get?: (name: string) => string | null } } } }).meta;
  return seconds(meta?.response?.headers?.get?.("retry-after"));
}

/**
 * The message, ending in when to retry unless it already says so (the rate limit's "retry in 12 s"); a vague "try
 * again in a moment" at its end (the busy database's) gives way to the figure, so the advice reads once.
 */
const withRetry = (message: string, retryAfter: number) =>
  /retry in \d+ s/i.test(message)
    ? message
    : `${message.replace(/(?:[;,:]?\s*try again in a moment)?[.;\s]*$/i, "")}; retry in ${retryAfter} s`;

/**
 * The tRPC error code of a failed call: a TRPCError (in-process caller) carries it as `code`, a TRPCClientError
 * (HTTP client) as `data.code`. Matched by name, as tRPC's classes may come from more than one installed copy.
 */
export function serviceErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, data } = error as { code?: unknown; data?: { code?: unknown } | null };
  if (error.name === "TRPCClientError") return typeof data?.code === "string" ? data.code : undefined;
  if (error.name === "TRPCError") return typeof code === "string" ? code : undefined;
  return undefined;
}

/** As the service answers over HTTP: every code but INTERNAL_SERVER_ERROR carries a message meant for the caller. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof ToolError) return { message: error.message, internal: false };
  const code = serviceErrorCode(error);
  // Input errors never get this far: the SDK validates arguments with the same schemas before any call.
  if (code && code !== "INTERNAL_SERVER_ERROR" && error instanceof Error) {
    const retryAfterSeconds = retryAfterOf(error, code);
    return retryAfterSeconds === undefined
      ? { message: error.message, internal: false }
      : { message: withRetry(error.message, retryAfterSeconds), internal: false, retryAfterSeconds };
  }
  return { message: INTERNAL_ERROR_MESSAGE, internal: true };
}
