/**
 * What every API transport (tRPC, REST, MCP) checks before any operation runs, in one order: that a browser request
 * comes from an allowed page (and, with AUTH=off, names this machine), who is calling and in which space (on headers
 * alone, before any body is read), then body size and well-formed input. Calls are counted against the caller's rate
 * by `admit`, once the transport has decoded how many the request holds. Each transport answers failures in its own
 * shape (problems.ts).
 */
import {
  ANONYMOUS,
  type ChangeFeed,
  createContext,
  DomainError,
  type KeyVerifier,
  type Principal,
  resolveSpace,
  SPACE_PATTERN,
  STREAM_TOKEN_PREFIX,
  STREAM_TOKEN_TTL_MS,
  verifyStreamToken,
} from "@memory-mirror/api";
import type { PrismaClient, ReadRouting } from "@memory-mirror/db";
import { isUtf8 } from "node:buffer";
import { IncomingMessage } from "node:http";
import { buffer } from "node:stream/consumers";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { HttpBindings } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { RateLimiterMemory, RateLimiterPrisma } from "rate-limiter-flexible";
import type { AppEnv } from "./request-variables.ts";
import type { ServerConfig } from "./config.ts";
import { hostNameOf, isLoopback } from "./loopback.ts";
import { type Problem, type ProblemRenderer, problemOf } from "./problems.ts";
import { type Metrics, transportOf } from "./metrics.ts";
import type { RateLimit } from "./rate-limit.ts";
import type { ConcurrencyShares, Release } from "./concurrency.ts";

export interface GuardDeps {
  config: ServerConfig;
  prisma: PrismaClient;
  /** Where read-only operations run (replicas or the primary). */
  reads: ReadRouting;
  verifyKey: KeyVerifier;
  rateLimit: RateLimit | undefined;
  /** Failed authentications per client address (shared by every transport). */
  authFailures: AuthFailureLimiter;
  /** Each caller's share of concurrent calls (KEY_CONCURRENCY). */
  shares: ConcurrencyShares;
  metrics: Metrics;
  /** The process's change feed (subscriptions). */
  changes?: ChangeFeed;
}

/**
 * Failed authentications one client address may make per minute before its unknown keys are refused unchecked
 * (429): a guesser costs neither database lookups nor cache room, while keys already verified keep working.
 */
export const AUTH_FAILURES_PER_MINUTE = 30;

/**
 * Counted where the calls' rate limits are (RATE_LIMIT_STORE): in this process, or in the database, so that the
 * servers of one database (WORKERS > 1, replicas) allow an address 30 failures a minute in all, not 30 each. The
 * process's own count stands in while the database does not answer.
 */
export function createAuthFailureLimiter(config: ServerConfig, prisma: PrismaClient): AuthFailureLimiter {
  const options = { points: AUTH_FAILURES_PER_MINUTE, duration: 60 };
  const memory = new RateLimiterMemory(options);
  if (config.rateLimitStore !== "database") return memory;
  return new RateLimiterPrisma({
    ...options,
    storeClient: prisma,
    tableName: "rateLimit",
    keyPrefix: "auth-failures",
    insuranceLimiter: memory,
    // Expired rows are pruned by the server's upkeep (upkeep.ts), stopped with it.
    clearExpiredByTimeout: false,
  });
}

export type AuthFailureLimiter = RateLimiterMemory | RateLimiterPrisma;

export interface TransportOptions {
  render: ProblemRenderer;
  /**
   * How many calls the request holds, when the guards can count them (REST: one per request). Transports that decode
   * their own batches (tRPC, MCP) leave it out and call `admit` with the decoded count.
   */
  calls?: number;
  /** The transport's change-stream path: the one place a stream token (`GET …?token=`) stands in for a key. */
  streamPath?: string;
}

/** Where stream tokens come from, for the messages that refuse one. */
const MINT_HINT =
  "mint one with POST /api/changes/token (or videoAnalysis.streamToken) right before opening the stream";

const CHALLENGE = 'Bearer realm="memory-mirror"';

const hasBody = (method: string) => method !== "GET" && method !== "HEAD";

/** The body's size from its Content-Length, unless it is chunked or the header is not a plain count. */
function declaredLength(c: Context<AppEnv>): number | undefined {
  const length = Number(c.req.header("content-length") ?? Number.NaN);
  return Number.isSafeInteger(length) && length >= 0 && c.req.header("transfer-encoding") === undefined
    ? length
    : undefined;
}

const clientAddress = (c: Context<AppEnv>) => getConnInfo(c).remote.address ?? "unknown";

const retryIn = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** A request let through (with what to call once its answer is sent), or the problem that refuses it. */
export type Admission = { release: Release; problem?: undefined } | { problem: Problem };

/**
 * Counts `calls` against the caller's rate limit and takes them from its concurrency share: the one place calls are
 * counted, whichever transport decoded them. Answers the problem to send when the caller is over its rate or found
 * no free slot in time (all the request's calls are refused then); otherwise the release to call once the answer is
 * sent. `share: false` for streams, which hold no database connection while open (MAX_STREAMS_PER_KEY bounds them).
 */
export async function admit(
  deps: GuardDeps,
  c: Context<AppEnv>,
  calls: number,
  { share = true } = {},
): Promise<Admission> {
  const { principal, space } = c.get("ctx");
  const limiter = deps.rateLimit;
  if (limiter && calls > 0) {
    const who = principal.keyId ? `key:${principal.keyId}` : `ip:${clientAddress(c)}`;
    const retryAfter = await limiter.consume(who, calls);
    if (retryAfter !== undefined) {
      deps.metrics.rateLimited(transportOf(c.req.path));
      return {
        problem: {
          code: "TOO_MANY_REQUESTS",
          message: `Rate limit exceeded: ${deps.config.rateLimitPerMinute} calls per minute (RATE_LIMIT_PER_MINUTE); retry in ${retryAfter} s`,
          headers: { "Retry-After": String(retryAfter) },
        },
      };
    }
  }
  if (!share || calls === 0) return { release: () => {} };
  // The anonymous caller of AUTH=off is anyone: its share is per space, so one space's load leaves others theirs.
  const holder = principal.keyId ? `key:${principal.keyId}` : `space:${space}`;
  const release = await deps.shares.acquire(holder, calls, () => c.req.raw.signal);
  if (release) return { release };
  // The client hung up while its call waited: nobody reads this answer, and it was no refusal.
  if (c.req.raw.signal.aborted)
    return { problem: { code: "CLIENT_CLOSED_REQUEST", message: "The client closed the connection before its turn" } };
  deps.metrics.rateLimited(transportOf(c.req.path));
  const whose = principal.keyId ? `This key (${principal.name})` : `Space "${space}"`;
  return {
    problem: {
      code: "TOO_MANY_REQUESTS",
      message:
        `${whose} already runs ${deps.shares.share} calls at once, its share of the database (KEY_CONCURRENCY), ` +
        "and no slot freed in time: wait for answers before sending more; retry in 1 s",
      headers: { "Retry-After": "1" },
    },
  };
}

export function transportGuards(deps: GuardDeps, options: TransportOptions): MiddlewareHandler<AppEnv>[] {
  const { config } = deps;
  const { render } = options;
  const fail = (c: Context<AppEnv>, error: DomainError) => render(c, problemOf(error));
  const corsOrigins = new Set(config.corsOrigins);
  const allowedHosts = new Set(config.allowedHosts);

  /**
   * Browsers send Origin (or at least Sec-Fetch-Site) with every cross-origin request. CORS only hides answers from
   * the page; a simple request (a form's POST, an image's GET) still runs. So an origin that CORS_ORIGINS does not
   * list is refused before anything runs. With AUTH=off, a page can also rebind its own name to 127.0.0.1 and so be
   * "same-origin": only loopback names and ALLOWED_HOSTS are answered in Host then.
   */
  const browserChecks: MiddlewareHandler<AppEnv> = async (c, next) => {
    const host = c.req.header("host");
    if (config.auth === "off") {
      const name = hostNameOf(host);
      if (name === undefined || !(isLoopback(name) || allowedHosts.has(name))) {
        return render(c, {
          code: "FORBIDDEN",
          message:
            `Host ${JSON.stringify(host ?? "")} is not a name of this server: with authentication off (AUTH=off) only loopback ` +
            "names (localhost, 127.0.0.1, [::1]) and those in ALLOWED_HOSTS are answered",
        });
      }
    }
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    const crossOrigin =
      origin !== undefined
        ? !corsOrigins.has(origin) && !(URL.canParse(origin) && new URL(origin).host === host)
        : site === "cross-site" || site === "same-site";
    if (crossOrigin) {
      return render(c, {
        code: "FORBIDDEN",
        message: `Browser requests from ${origin ?? "another site"} are refused: list the page's origin in CORS_ORIGINS to allow it`,
      });
    }
    await next();
  };

  /** A stream token, when this request opens a change stream and carries one (EventSource cannot send headers). */
  const streamTokenOf = (c: Context<AppEnv>) =>
    options.streamPath !== undefined &&
    c.req.method === "GET" &&
    c.req.path.replace(/(.)\/$/, "$1") === options.streamPath
      ? c.req.query("token")
      : undefined;

  /** The 429 of an address past its failed authentications: its unverified credentials are refused unchecked. */
  const tooManyFailures = (c: Context<AppEnv>, msBeforeNext: number) => {
    const retryAfter = retryIn(msBeforeNext);
    return render(c, {
      code: "TOO_MANY_REQUESTS",
      message: `Too many failed authentications from this address (${AUTH_FAILURES_PER_MINUTE} per minute); retry in ${retryAfter} s`,
      headers: { "Retry-After": String(retryAfter) },
    });
  };

  const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
    let principal: Principal = ANONYMOUS;
    const authorization = c.req.header("authorization");
    let requested = c.req.header("x-mm-space");
    const token = streamTokenOf(c);
    if (token !== undefined) {
      if (authorization !== undefined) {
        return render(c, {
          code: "BAD_REQUEST",
          message: "Send either an API key (Authorization) or a stream token (?token=), not both",
        });
      }
      // A token is a credential like a key: a refused one counts against the address, and past the limit tokens
      // are refused unchecked (no key lookup), so guessing them costs the database nothing either.
      const address = clientAddress(c);
      let checked: Awaited<ReturnType<typeof verifyStreamToken>>;
      try {
        const failures = await deps.authFailures.get(address);
        if (failures !== null && failures.remainingPoints <= 0) return tooManyFailures(c, failures.msBeforeNext);
        checked = await verifyStreamToken(deps.prisma, token);
      } catch (error) {
        if (error instanceof DomainError) return fail(c, error);
        throw error;
      }
      if (!checked.ok) {
        await deps.authFailures.penalty(address, 1);
        return render(c, {
          code: "UNAUTHORIZED",
          message:
            checked.reason === "expired"
              ? `The stream token expired (tokens open streams for ${STREAM_TOKEN_TTL_MS / 1000} s): ${MINT_HINT}`
              : `The stream token is not valid (malformed, altered, or its key was deleted or expired): ${MINT_HINT}`,
          headers: { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` },
        });
      }
      if (requested !== undefined && requested !== checked.space) {
        return render(c, {
          code: "FORBIDDEN",
          message: `This stream token opens streams of space "${checked.space}" only (it was minted there), not "${requested}"`,
        });
      }
      principal = checked.principal;
      requested = checked.space;
    } else if (authorization !== undefined) {
      const key = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
      if (key?.startsWith(STREAM_TOKEN_PREFIX)) {
        return render(c, {
          code: "UNAUTHORIZED",
          message:
            "A stream token is not an API key: it only opens change streams, as ?token= on GET /api/changes or " +
            "/trpc/videoAnalysis.onChange. Send an API key (mm_…) here",
          headers: { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` },
        });
      }
      const address = clientAddress(c);
      // A key verified within KEY_CACHE_MS needs no count of failures (which may be a database query): the hot path.
      let verified = key ? await deps.verifyKey(key, { cachedOnly: true }) : undefined;
      const failures = verified ? null : await deps.authFailures.get(address);
      const blocked = failures !== null && failures.remainingPoints <= 0;
      try {
        if (!verified && !blocked && key) verified = await deps.verifyKey(key);
      } catch (error) {
        // The database could not be asked (503): the key may well be valid.
        if (error instanceof DomainError) return fail(c, error);
        throw error;
      }
      if (!verified && failures !== null && blocked) return tooManyFailures(c, failures.msBeforeNext);
      if (!verified) {
        await deps.authFailures.penalty(address, 1);
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
        message:
          "An API key is required: send Authorization: Bearer mm_… (pnpm keys:create --admin on the server's machine makes the first)",
        headers: { "WWW-Authenticate": CHALLENGE },
      });
    }
    const readFrom = c.req.header("x-mm-read-from")?.trim().toLowerCase();
    if (readFrom !== undefined && readFrom !== "primary" && readFrom !== "any") {
      return render(c, { code: "BAD_REQUEST", message: 'X-MM-Read-From must be "primary" or "any"' });
    }
    if (requested !== undefined && !SPACE_PATTERN.test(requested)) {
      return render(c, { code: "BAD_REQUEST", message: "X-MM-Space must be 1–63 characters of a-z, 0-9, _ and -" });
    }
    try {
      const space = resolveSpace(principal, requested);
      c.set(
        "ctx",
        createContext({
          prisma: deps.prisma,
          reads: deps.reads,
          readFromPrimary: readFrom === "primary",
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

  const tooLarge = (c: Context<AppEnv>) =>
    render(c, {
      code: "PAYLOAD_TOO_LARGE",
      message: `Request body is larger than ${config.maxBodyBytes} bytes (MAX_BODY_BYTES)`,
    });
  const bodyLimited = bodyLimit({ maxSize: config.maxBodyBytes, onError: tooLarge });
  // GET and HEAD carry no body; asking would make @hono/node-server build a full Request object for nothing.
  const limitBody: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!hasBody(c.req.method)) return next();
    // A Content-Length (not chunked) tells the size, as bodyLimit reads it too; but bodyLimit first asks for the
    // body's stream, and @hono/node-server then wraps the socket in a web Request and streams (10–18% of a batch of
    // 50's CPU, docs/performance.md), where wellFormed's read takes the bytes straight from the socket.
    // Node's parser refuses a malformed Content-Length; a value that is not a plain count anyway (this app served
    // another way) goes through bodyLimit below rather than passing unchecked.
    const length = declaredLength(c);
    if (length !== undefined) return length > config.maxBodyBytes ? tooLarge(c) : next();
    let reached = false;
    try {
      return await bodyLimited(c, () => {
        reached = true;
        return next();
      });
    } catch (error) {
      if (reached) throw error;
      return bodyNotReceived(c, error);
    }
  };

  /** A client that went away mid-upload is not a server error: a 400 nobody reads, and no error log. */
  const bodyNotReceived = (c: Context<AppEnv>, error: unknown) => {
    if (!c.req.raw.signal.aborted) throw error;
    return render(c, { code: "BAD_REQUEST", message: "The request body was not received in full" });
  };

  const notUtf8 = (c: Context<AppEnv>) =>
    render(c, { code: "BAD_REQUEST", message: "The request body is not valid UTF-8" });

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
    if (!hasBody(c.req.method)) return next();
    // A body of declared length on node's server (limitBody left its request as it came): read from the socket and
    // handed to @hono/node-server as `incoming.rawBody`, which its request's text(), json() and arrayBuffer() read
    // with no web Request or stream, and with the connection's own signal. Building a second undici Request around
    // the bytes for the transports was 5% of a batch of 50's CPU (docs/performance.md).
    const { incoming } = (c.env ?? {}) as Partial<HttpBindings>;
    if (incoming instanceof IncomingMessage && declaredLength(c) !== undefined) {
      let bytes: Buffer;
      try {
        bytes = await buffer(incoming);
      } catch (error) {
        return bodyNotReceived(c, error);
      }
      if (!isUtf8(bytes)) return notUtf8(c);
      Object.assign(incoming, { rawBody: bytes });
      return next();
    }
    let bytes: ArrayBuffer;
    try {
      bytes = await c.req.arrayBuffer();
    } catch (error) {
      return bodyNotReceived(c, error);
    }
    if (!isUtf8(bytes)) return notUtf8(c);
    // Hono keeps the bytes for its own readers; transports that read the raw request get a fresh one, with the
    // connection's signal (aborted by @hono/node-server when the client hangs up before its answer is sent).
    const { url: href, headers, signal } = c.req.raw;
    c.req.raw = new Request(href, { method: c.req.method, headers, body: bytes, signal });
    await next();
  };

  const limitRate: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (options.calls === undefined) return next();
    const admission = await admit(deps, c, options.calls);
    if (admission.problem) return render(c, admission.problem);
    // Answers here are whole JSON bodies: once the handler returns, nothing more is asked of the database.
    try {
      await next();
    } finally {
      admission.release();
    }
  };

  // Headers first: nobody unauthenticated gets to make the server read (and hold) a body.
  return [browserChecks, authenticate, limitBody, wellFormed, limitRate];
}
