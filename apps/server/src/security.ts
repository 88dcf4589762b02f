import { Hono, type Context, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { AnswerWithHeaders, type HeaderLine } from "./answer-headers.ts";
import type { AppEnv } from "./request-variables.ts";

/**
 * Headers on every answer: no MIME sniffing, no framing, no referrer leaks, and a CSP that lets /docs (Swagger UI,
 * served from here) run its own files and nothing else.
 */
const honoSecureHeaders: MiddlewareHandler<AppEnv> = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    // Swagger UI sets inline styles on its elements.
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
  },
  referrerPolicy: "no-referrer",
  xFrameOptions: "DENY",
});

/** The headers Hono's middleware sets, as a `Headers` iterates them (lower-case names, sorted): read once. */
const SECURE_HEADERS: readonly HeaderLine[] = await secureHeaderLines();

async function secureHeaderLines(): Promise<HeaderLine[]> {
  const answer = await new Hono<AppEnv>()
    .use(honoSecureHeaders)
    .get("/", (c) => c.body(null))
    .request("/");
  const lines: HeaderLine[] = [];
  answer.headers.forEach((value, name) => lines.push([name, value]));
  return lines;
}

/**
 * Node's answer when the app runs under this server (server.ts), which writes the secure headers and the request id
 * itself (answer-headers.ts); undefined under `app.request` or another host.
 */
export const answerOf = (c: Context): AnswerWithHeaders | undefined => {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing instanceof AnswerWithHeaders ? outgoing : undefined;
};

/**
 * The secure headers: written by node's answer where the server made it (the same bytes; see answer-headers.ts),
 * else by Hono's middleware on the web Response.
 */
export const securityHeaders: MiddlewareHandler<AppEnv> = (c, next) => {
  const answer = answerOf(c);
  if (!answer) return honoSecureHeaders(c, next);
  return next().then(() => {
    // Hono's middleware read the answer's headers, which turns a plain-object header set into a `Headers`: do the
    // same, so @hono/node-server writes every answer's headers as before (lower-cased, in name order).
    if (c.res.headers) answer.secureHeaders = SECURE_HEADERS;
  });
};

/**
 * CORS for the browser origins an operator lists (CORS_ORIGINS); none by default, so no other site's page can call
 * the API with a visitor's network position. Preflights are answered either way (204), allowing only listed origins.
 */
export function corsPolicy(origins: readonly string[]): MiddlewareHandler<AppEnv> {
  const allowed = new Set(origins);
  const policy = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
    allowHeaders: [
      "Authorization",
      "Content-Type",
      "X-MM-Space",
      "X-MM-Read-From",
      "X-Request-Id",
      "trpc-accept",
      "Mcp-Protocol-Version",
    ],
    exposeHeaders: ["X-Request-Id", "Retry-After", "WWW-Authenticate", "ETag"],
    maxAge: 600,
  });
  // Only browsers send Origin, and only they act on CORS headers. Running the middleware for every other request
  // made Hono build and merge a placeholder Response per request: 130 µs of CPU per lookup, measured.
  return (c, next) => (c.req.header("origin") === undefined ? next() : policy(c, next));
}
