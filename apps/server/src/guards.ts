/**
 * What every API transport (tRPC, REST, MCP) checks before any operation runs, in one order: body size, well-formed
 * input, who is calling and in which space, and the caller's rate. Each transport answers failures in its own
 * shape (problems.ts).
 */
import {
  ANONYMOUS,
  type ChangeFeed,
  createContext,
  DomainError,
  type KeyScope,
  type KeyVerifier,
  type Principal,
  requireScope,
  resolveSpace,
  SPACE_PATTERN,
} from "@memory-mirror/api";
import type { PrismaClient } from "@memory-mirror/db";
import { isUtf8 } from "node:buffer";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { AppEnv } from "./app-env.ts";
import type { ServerConfig } from "./config.ts";
import { type ProblemRenderer, problemOf } from "./problems.ts";
import { type Metrics, transportOf } from "./metrics.ts";
import type { RateLimit } from "./rate-limit.ts";

export interface GuardDeps {
  config: ServerConfig;
  prisma: PrismaClient;
  verifyKey: KeyVerifier;
  rateLimit: RateLimit | undefined;
  metrics: Metrics;
  /** The process's change feed (subscriptions). */
  changes?: ChangeFeed;
}

export interface TransportOptions {
  render: ProblemRenderer;
  /** How many calls the request holds (a tRPC batch holds several); each counts against the rate limit. */
  calls?: (c: Context<AppEnv>) => number;
  /** The scope the request needs, when the transport knows it before the call (REST: by method). */
  scope?: (c: Context<AppEnv>) => KeyScope;
}

const CHALLENGE = 'Bearer realm="memory-mirror"';

const hasBody = (method: string) => method !== "GET" && method !== "HEAD";

export function transportGuards(deps: GuardDeps, options: TransportOptions): MiddlewareHandler<AppEnv>[] {
  const { config } = deps;
  const { render } = options;
  const fail = (c: Context<AppEnv>, error: DomainError, headers?: Record<string, string>) =>
    render(c, { ...problemOf(error), ...(headers ? { headers } : {}) });

  const bodyLimited = bodyLimit({
    maxSize: config.maxBodyBytes,
    onError: (c) =>
      render(c, {
        code: "PAYLOAD_TOO_LARGE",
        message: `Request body is larger than ${config.maxBodyBytes} bytes (MAX_BODY_BYTES)`,
      }),
  });
  // GET and HEAD carry no body; asking would make @hono/node-server build a full Request object for nothing.
  const limitBody: MiddlewareHandler<AppEnv> = (c, next) => (hasBody(c.req.method) ? bodyLimited(c, next) : next());

  /** Text that is not well-formed Unicode would be stored as U+FFFD and collide with other values: refuse it. */
  const wellFormed: MiddlewareHandler<AppEnv> = async (c, next) => {
    const url = c.req.url;
    const query = url.indexOf("?");
    if (query >= 0 && url.includes("%", query)) {
      try {
        decodeURIComponent(url.slice(query + 1).replaceAll("+", " "));
      } catch {
        return render(c, { code: "BAD_REQUEST", message: "The query string is not well-formed percent-encoded UTF-8" });
      }
    }
    if (hasBody(c.req.method)) {
      const bytes = await c.req.arrayBuffer();
      if (!isUtf8(bytes)) return render(c, { code: "BAD_REQUEST", message: "The request body is not valid UTF-8" });
      // Hono keeps the bytes for its own readers; transports that read the raw request get a fresh one.
      c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers: c.req.raw.headers, body: bytes });
    }
    await next();
  };

  const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
    let principal: Principal = ANONYMOUS;
    const authorization = c.req.header("authorization");
    if (authorization !== undefined) {
      const key = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
      let verified: Principal | undefined;
      try {
        verified = key ? await deps.verifyKey(key) : undefined;
      } catch (error) {
        // The database could not be asked (503): the key may well be valid.
        if (error instanceof DomainError) return fail(c, error);
        throw error;
      }
      if (!verified) {
        return render(c, {
          code: "UNAUTHORIZED",
          message: "The API key is not valid (malformed, unknown, revoked or expired)",
          headers: { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` },
        });
      }
      principal = verified;
    } else if (config.auth === "required") {
      return render(c, {
        code: "UNAUTHORIZED",
        message: "An API key is required: send Authorization: Bearer mm_…",
        headers: { "WWW-Authenticate": CHALLENGE },
      });
    }
    const requested = c.req.header("x-mm-space");
    if (requested !== undefined && !SPACE_PATTERN.test(requested)) {
      return render(c, { code: "BAD_REQUEST", message: "X-MM-Space must be 1–63 characters of a-z, 0-9, _ and -" });
    }
    try {
      const space = resolveSpace(principal, requested);
      if (options.scope) requireScope(principal, options.scope(c));
      c.set(
        "ctx",
        createContext({
          prisma: deps.prisma,
          principal,
          space,
          limits: { maxRows: config.maxResponseRows, maxBytes: config.maxResponseBytes },
          observe: deps.metrics.call,
          historyLimit: config.historyLimit,
          changes: deps.changes,
        }),
      );
    } catch (error) {
      if (error instanceof DomainError) return fail(c, error);
      throw error;
    }
    await next();
  };

  const limitRate: MiddlewareHandler<AppEnv> = async (c, next) => {
    const limiter = deps.rateLimit;
    if (!limiter) return next();
    const { principal } = c.var.ctx;
    const who = principal.keyId ? `key:${principal.keyId}` : `ip:${getConnInfo(c).remote.address ?? "unknown"}`;
    const retryAfter = await limiter.consume(who, options.calls?.(c) ?? 1);
    if (retryAfter !== undefined) {
      deps.metrics.rateLimited(transportOf(c.req.path));
      return render(c, {
        code: "TOO_MANY_REQUESTS",
        message: `Rate limit exceeded: ${config.rateLimitPerMinute} calls per minute (RATE_LIMIT_PER_MINUTE); retry in ${retryAfter} s`,
        headers: { "Retry-After": String(retryAfter) },
      });
    }
    await next();
  };

  return [limitBody, wellFormed, authenticate, limitRate];
}
