import { randomUUID } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./request-variables.ts";
import { answerOf } from "./security.ts";

/** A client's own id is kept only in this strict shape (no spaces, no log-breaking characters). */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Every request gets this server's own id (answered in X-Request-Id, logged as reqId). A client-sent X-Request-Id
 * never replaces it; when well-formed it is logged beside it, as clientReqId, to join the two sides' logs.
 */
export const requestIds = createMiddleware<AppEnv>(async (c, next) => {
  const id = randomUUID();
  c.set("requestId", id);
  await next();
  const answer = answerOf(c);
  // Written by node's answer where the server made it (answer-headers.ts): the same bytes, without undici's Headers.
  // (Reading the answer's headers first, as setting one did: @hono/node-server then writes them as before.)
  if (answer && c.res.headers) {
    answer.requestId = id;
    return;
  }
  // After the answer exists: a header set before it would be lost on a Response a handler returns itself (tRPC).
  // Into its headers, not with c.header(): on a finished answer that rebuilds the Response around a ReadableStream
  // of its body, which turned @hono/node-server's one-write path for a string body into a streamed one (measured:
  // ~25% of a lookup's server CPU).
  c.res.headers.set("X-Request-Id", id);
});

export function clientRequestId(header: string | undefined): string | undefined {
  return header !== undefined && CLIENT_ID.test(header) ? header : undefined;
}
