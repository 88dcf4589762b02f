/**
 * A failure found before any operation runs (body too large, no key, rate limited…), answered in the shape the
 * transport's clients parse: tRPC's error envelope, FastAPI's `{"detail"}`, or a JSON-RPC error for MCP.
 */
import { type DomainError, TRPC_CODE_OF } from "@memory-mirror/api";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface Problem {
  code: TRPC_ERROR_CODE_KEY;
  message: string;
  headers?: Record<string, string>;
}

export type ProblemRenderer = (c: Context, problem: Problem) => Response;

const statusOf = (code: TRPC_ERROR_CODE_KEY) =>
  getHTTPStatusCodeFromError(new TRPCError({ code })) as ContentfulStatusCode;

/** A failure's Retry-After header, when it says when a retry may succeed. */
export const retryHeaders = (error: DomainError): Record<string, string> | undefined =>
  error.retryAfterSeconds === undefined ? undefined : { "Retry-After": String(error.retryAfterSeconds) };

export const problemOf = (error: DomainError): Problem => ({
  code: TRPC_CODE_OF[error.kind],
  message: error.message,
  headers: retryHeaders(error),
});

export const trpcProblem: ProblemRenderer = (c, { code, message, headers }) =>
  c.json(
    {
      error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus: statusOf(code), issues: null } },
    },
    statusOf(code),
    headers,
  );

export const restProblem: ProblemRenderer = (c, { code, message, headers }) =>
  c.json({ detail: message }, statusOf(code), headers);

/**
 * MCP's transport answers JSON-RPC; -32000 is the range servers use for their own errors. A missing or invalid key
 * is a 403 here, not a 401: in MCP's authorization spec a 401 tells the client to start OAuth (every client built on
 * the MCP SDK does, whatever the challenge says), and this server does not do OAuth (it serves no protected-resource
 * metadata). A 403 without `insufficient_scope` makes those clients show this message instead.
 */
export const mcpProblem: ProblemRenderer = (c, { code, message, headers }) => {
  if (code !== "UNAUTHORIZED") {
    // The MCP SDK's client reads no header of a refused POST, only its body (into its error's message): the wait goes
    // in the body too, as the figure a tool error carries in `_meta.retryAfterSeconds` (its text already says it).
    const retryAfter = headers?.["Retry-After"];
    const data = retryAfter === undefined ? {} : { data: { retryAfterSeconds: Number(retryAfter) } };
    return c.json({ jsonrpc: "2.0", error: { code: -32000, message, ...data }, id: null }, statusOf(code), headers);
  }
  const { "WWW-Authenticate": _challenge, ...rest } = headers ?? {};
  const hint = `${message}. This server does not do OAuth: give your MCP client the key as a header, e.g. claude mcp add --transport http memory-mirror URL --header "Authorization: Bearer mm_…"`;
  return c.json({ jsonrpc: "2.0", error: { code: -32000, message: hint }, id: null }, 403, rest);
};
