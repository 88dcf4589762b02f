import { errorStatus, TRPCClientError } from "@memory-mirror/client";

export type ProblemKind =
  "unreachable" | "unauthorized" | "forbidden" | "not-found" | "conflict" | "rate-limited" | "invalid" | "server";

export interface Problem {
  kind: ProblemKind;
  /** One sentence a person understands. */
  title: string;
  /** The server's own words, when they add something. */
  detail?: string;
  /** For 429: seconds until the server takes calls again. */
  retryAfterSeconds?: number;
}

/** Turns any failed call into words; the server's message is kept as detail. */
export function describeError(error: unknown): Problem {
  if (!(error instanceof TRPCClientError)) {
    return {
      kind: "server",
      title: "Something went wrong.",
      detail: error instanceof Error ? error.message : String(error),
    };
  }
  const status = errorStatus(error);
  const detail = error.message;
  if (status === undefined) {
    // No tRPC answer at all: the request never reached the server, or something else (a proxy) answered.
    return {
      kind: "unreachable",
      title: "The server cannot be reached. Check your connection, or that Memory Mirror is running, and try again.",
    };
  }
  switch (status) {
    case 401:
      return {
        kind: "unauthorized",
        title: "This API key was not accepted: it may be mistyped, revoked or expired.",
        detail,
      };
    case 403:
      return { kind: "forbidden", title: "This key is not allowed to do that (it may be read-only).", detail };
    case 404:
      return { kind: "not-found", title: "It is not there (any more).", detail };
    case 409:
      return { kind: "conflict", title: "It was changed elsewhere in the meantime.", detail };
    case 429: {
      const seconds = Number(/retry in (\d+) s/.exec(detail)?.[1] ?? Number.NaN);
      return {
        kind: "rate-limited",
        title: Number.isFinite(seconds)
          ? `Too many requests: try again in ${seconds} second${seconds === 1 ? "" : "s"}.`
          : "Too many requests: try again in a minute.",
        ...(Number.isFinite(seconds) ? { retryAfterSeconds: seconds } : {}),
      };
    }
    default:
      if (status >= 400 && status < 500) return { kind: "invalid", title: detail };
      return { kind: "server", title: "The server could not do that right now. Try again in a moment.", detail };
  }
}
